//! Text between the database's encoding and Rust's UTF-8, without loss.
//! Names and literals come from the server in the database's encoding
//! (LATIN1, EUC_JP, …); statements are built as Rust strings and handed
//! back in the database's encoding. A lossy step anywhere would turn `é`
//! in a LATIN1 database into something else on replay.
//!
//! SQL_ASCII promises no encoding at all: its bytes above 127 are carried
//! as the characters U+0080–U+00FF and turned back into the same bytes.

use std::borrow::Cow;
use std::ffi::{c_char, CStr};

use pgrx::pg_sys;

/// The connected database's encoding, asked once: it is fixed for the
/// life of a backend, and every value rendered needs it.
fn database_encoding() -> u32 {
    static ENCODING: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    // SAFETY: reads a backend-global set at connection start, before any
    // SQL function runs.
    *ENCODING.get_or_init(|| unsafe { pg_sys::GetDatabaseEncoding() as u32 })
}

/// Bytes in the database's encoding as a Rust string.
pub fn to_utf8(bytes: &[u8]) -> String {
    match database_encoding() {
        // The server's own text is valid UTF-8 here; checking it is
        // cheaper than walking it for replacements.
        pg_sys::pg_enc::PG_UTF8 => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        },
        pg_sys::pg_enc::PG_SQL_ASCII => bytes.iter().map(|&b| char::from(b)).collect(),
        _ => {
            let Ok(len) = i32::try_from(bytes.len()) else {
                return String::from_utf8_lossy(bytes).into_owned();
            };
            // SAFETY: converts `len` bytes; the result is NUL-terminated,
            // either our input (when nothing changes) or a palloc'd copy.
            unsafe {
                let p = pg_sys::pg_server_to_any(
                    bytes.as_ptr().cast(),
                    len,
                    pg_sys::pg_enc::PG_UTF8 as i32,
                );
                if p.cast_const() == bytes.as_ptr().cast() {
                    return String::from_utf8_lossy(bytes).into_owned();
                }
                let s = CStr::from_ptr(p).to_string_lossy().into_owned();
                pg_sys::pfree(p.cast());
                s
            }
        }
    }
}

/// A NUL-terminated string from the server (NULL gives "").
pub fn cstr_to_utf8(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: a NUL-terminated string from the server.
    to_utf8(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// A Rust string in the database's encoding.
pub fn to_server(s: &str) -> Cow<'_, [u8]> {
    Cow::Owned(match database_encoding() {
        pg_sys::pg_enc::PG_UTF8 => return Cow::Borrowed(s.as_bytes()),
        // Only characters below 256 reach here (see to_utf8).
        pg_sys::pg_enc::PG_SQL_ASCII => s.chars().map(|c| c as u32 as u8).collect(),
        _ => {
            if s.is_ascii() {
                return Cow::Borrowed(s.as_bytes());
            }
            let Ok(len) = i32::try_from(s.len()) else {
                return Cow::Borrowed(s.as_bytes());
            };
            // SAFETY: converts `len` bytes of UTF-8; the result is
            // NUL-terminated. Characters the database's encoding lacks
            // raise an ERROR (they cannot have come from it).
            unsafe {
                let p = pg_sys::pg_any_to_server(
                    s.as_ptr().cast(),
                    len,
                    pg_sys::pg_enc::PG_UTF8 as i32,
                );
                if p.cast_const() == s.as_ptr().cast() {
                    return Cow::Borrowed(s.as_bytes());
                }
                let v = CStr::from_ptr(p).to_bytes().to_vec();
                pg_sys::pfree(p.cast());
                v
            }
        }
    })
}

/// A NUL-terminated copy of a Rust string in the database's encoding, for
/// the server's C functions.
pub fn to_server_cstring(s: &str) -> std::ffi::CString {
    let mut v = to_server(s).into_owned();
    v.retain(|&b| b != 0);
    std::ffi::CString::new(v).unwrap_or_default()
}
