//! Product search helpers that run in process. The vector store (Qdrant) holds, per product, a
//! dense embedding (meaning, across languages) and a sparse vector (exact words, SKUs, brand
//! terms); [`sparse`] computes the sparse side.

pub mod sparse;
