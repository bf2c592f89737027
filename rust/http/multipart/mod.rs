//! Multipart bodies (RFC 2046 §5.1, RFC 7578 for `multipart/form-data`), scanned as they arrive.
//!
//! - `scanner::MultipartScanner` turns a body into `Event`s: preamble, each part's head and
//!   content, epilogue; `finder` finds the delimiters with memchr's `memmem`.
//! - `head` reads a part's header section with the HTTP engine's field-line scanner and httparse,
//!   then `disposition` and `content_type` read what wsrs exposes from it, splitting parameters
//!   with `params` (no regex anywhere).
//! - `limits` holds every cap, `error` every violation with the status that answers it.
//!
//! The peers' past CVEs are the checklist (peers.md Part B §1.2): no regex on attacker bytes, no
//! byte loop in the boundary search or in skipping a preamble or epilogue, header count and size
//! bounded, starred parameters never override plain ones, truncation is an error.

mod content_type;
mod disposition;
pub mod error;
mod finder;
mod head;
pub mod limits;
mod params;
pub mod scanner;

#[cfg(test)]
mod tests;

pub use content_type::{boundary_from_content_type, check_boundary};
pub use error::MultipartError;
pub use head::PartHead;
pub use limits::MultipartLimits;
pub use scanner::{Event, MultipartScanner};
