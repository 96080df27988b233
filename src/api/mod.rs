//! The SQL surface: one module per set-returning function, and the audit
//! functions.

mod audit;
mod contents;
mod records;
mod stats;
