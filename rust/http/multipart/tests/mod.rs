//! Tests of the multipart scanner as a whole: the RFC tables, the peers' failure modes, and the
//! property that every split of every table body gives the same events.

mod failures;
mod rfc;
mod support;
