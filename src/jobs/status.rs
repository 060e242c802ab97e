//! A queued job's status.

use crate::types::enums::text_enum;

text_enum! {
    /// Where a job is in the queue.
    pub enum JobStatus("JobStatus") {
        /// Waiting for `run_at`.
        Queued = "queued",
        /// Claimed by a worker until `locked_until`.
        Running = "running",
        /// Finished.
        Done = "done",
        /// Failed for good (or too often): kept with its error for a human.
        Parked = "parked",
    }
}
