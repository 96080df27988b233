//! The SQL surface: one module per set-returning function.

mod contents;
mod records;
mod stats;
