//! The SQL surface: one module per set-returning function, and the audit
//! functions.

mod audit;
mod available;
mod contents;
mod records;
mod script;
mod stats;
