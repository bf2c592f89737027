//! Cross-module tests of the HTTP core: the smuggling table, parser semantics, chunked bodies.

mod chunked;
mod parser;
mod smuggling;
mod support;
