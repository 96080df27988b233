//! The SQL surface: one module per set-returning function.

//TEMP mod contents;
mod records;
mod stats;
