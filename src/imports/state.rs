//! An import's state.

use crate::types::enums::text_enum;

text_enum! {
    /// Where an import job is; `done` and `failed` are final.
    pub enum ImportState("ImportState") {
        /// Uploaded, waiting for a worker.
        Queued = "queued",
        /// Reading and checking the file.
        Validating = "validating",
        /// Writing products, variants and stock.
        Applying = "applying",
        /// Finished (a dry run, or applied).
        Done = "done",
        /// The file has problems (listed in `errors`) or the import could not run (`failure`);
        /// nothing was imported.
        Failed = "failed",
    }
}

impl ImportState {
    /// Whether the import has finished, one way or the other.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}
