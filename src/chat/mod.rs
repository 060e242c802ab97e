//! The per-brand WhatsApp assistant, as self-contained pieces that the webhook endpoint and the
//! reply worker put together:
//!
//! 1. [`signature`] checks that a webhook body really comes from Meta (before it is parsed);
//! 2. [`meta`] parses the body and flattens it into inbound messages and delivery statuses;
//! 3. [`language`] picks the language to answer in;
//! 4. product search ([`crate::search`] plus dense embeddings from [`llm`]) finds the facts;
//! 5. [`reply`] turns the facts into an answer, by template or as a grounded LLM prompt
//!    ([`llm`]);
//! 6. [`graph`] sends the answer through the WhatsApp Cloud API.
//!
//! The pieces take and return plain values, so each is tested on its own (the HTTP clients
//! against a real local server). [`service`] puts them together with the database (through
//! the tenant transaction) and the job queue, [`console`] holds the settings and the support
//! console's reads, [`numbers`] decides which brand a WhatsApp number belongs to (only a proved
//! number routes), and [`api`] serves the webhook, the settings, the owner's number assignment
//! and the support console.

pub mod api;
pub mod console;
pub mod graph;
pub(crate) mod http;
pub mod language;
pub mod llm;
pub mod meta;
pub mod numbers;
pub mod reply;
pub(crate) mod repo;
pub mod service;
pub mod signature;
pub mod status;
