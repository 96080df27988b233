//! Turns stored values into SQL literals that replay to the identical
//! value in any session: rendered by the type's own output function under
//! fixed settings (ISO dates, UTC, postgres interval style, exact floats,
//! hex bytea), quoted by `quote_literal`, and cast to the column's
//! schema-qualified type with its type modifier. It is the [`Render`] the
//! miner of the decoder crate asks for literals.

use std::collections::HashMap;
use std::ffi::{CStr, CString};

use pgrx::pg_sys;
use waldecode::mine::catalog::{AttInfo, RelInfo};
use waldecode::mine::{Render, Stored};

/// Output settings under which every literal is rendered.
const FIXED_SETTINGS: [(&str, &str); 5] = [
    ("datestyle", "ISO, YMD"),
    ("intervalstyle", "postgres"),
    ("timezone", "UTC"),
    ("extra_float_digits", "3"),
    ("bytea_output", "hex"),
];

const CASHOID: u32 = 790;

/// Types whose text form does not depend on any setting and reads back to
/// the identical value: rows made only of these are rendered without
/// switching settings, which is most of the per-row cost otherwise.
/// (bytea: both output formats read back the same; money is rendered
/// from its integer.)
const SETTING_FREE_TYPES: [u32; 21] = [
    16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 650, 790, 829, 869, 1042, 1043, 1560, 1562, 1700,
    2950, 3802,
];

/// Whether rendering `atts` needs the fixed output settings.
fn needs_fixed_settings(atts: &[AttInfo]) -> bool {
    atts.iter().any(|a| a.written() && !SETTING_FREE_TYPES.contains(&a.typid))
}

struct TypeOut {
    output_fn: pg_sys::Oid,
    sql: String,
}

/// Renders values with the server's output functions; caches per type.
#[derive(Default)]
pub struct ServerRender {
    types: HashMap<(u32, i32), TypeOut>,
    /// The GUC nesting level of the row being rendered, when it needed the
    /// fixed settings.
    level: Option<i32>,
}

/// Puts the fixed output settings in force in a new GUC nesting level and
/// returns it; [`pop_settings`] restores the session's own (an ERROR in
/// between restores them too, at transaction abort).
fn push_fixed_settings() -> i32 {
    // SAFETY: GUC nesting as ri_triggers.c and others use it.
    let level = unsafe { pg_sys::NewGUCNestLevel() };
    for (name, value) in FIXED_SETTINGS {
        let n = CString::new(name).unwrap_or_default();
        let v = CString::new(value).unwrap_or_default();
        // SAFETY: valid NUL-terminated setting names and values.
        unsafe {
            pg_sys::set_config_option(
                n.as_ptr(),
                v.as_ptr(),
                pg_sys::GucContext::PGC_USERSET,
                pg_sys::GucSource::PGC_S_SESSION,
                pg_sys::GucAction::GUC_ACTION_SAVE,
                true,
                0,
                false,
            );
        }
    }
    level
}

fn pop_settings(level: i32) {
    // SAFETY: pops exactly a level pushed by push_fixed_settings.
    unsafe { pg_sys::AtEOXact_GUC(true, level) };
}

fn cstr_owned(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: a NUL-terminated string from the server.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Copies `bytes` into palloc'd, MAXALIGNed memory.
fn palloc_copy(bytes: &[u8], nul: bool) -> *mut u8 {
    let len = bytes.len() + usize::from(nul);
    // SAFETY: palloc never returns NULL (it raises ERROR instead).
    unsafe {
        let p = pg_sys::palloc(len.max(1)).cast::<u8>();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        if nul {
            *p.add(bytes.len()) = 0;
        }
        p
    }
}

impl ServerRender {
    fn type_out(&mut self, typid: u32, typmod: i32) -> &TypeOut {
        self.types.entry((typid, typmod)).or_insert_with(|| {
            let mut output_fn = pg_sys::InvalidOid;
            let mut varlena = false;
            let oid = pg_sys::Oid::from(typid);
            // SAFETY: catalog lookups for an existing type.
            let sql = unsafe {
                pg_sys::getTypeOutputInfo(oid, &mut output_fn, &mut varlena);
                cstr_owned(pg_sys::format_type_extended(
                    oid,
                    typmod,
                    (pg_sys::FORMAT_TYPE_TYPEMOD_GIVEN | pg_sys::FORMAT_TYPE_FORCE_QUALIFY) as u16,
                ))
            };
            TypeOut { output_fn, sql }
        })
    }
}

impl Render for ServerRender {
    fn begin_row(&mut self, rel: &RelInfo) {
        if needs_fixed_settings(&rel.atts) {
            self.level = Some(push_fixed_settings());
        }
    }

    fn end_row(&mut self) {
        if let Some(level) = self.level.take() {
            pop_settings(level);
        }
    }

    fn literal(&mut self, att: &AttInfo, d: Stored<'_>) -> String {
        let datum = match d {
            Stored::Fixed(b) if att.layout.attbyval => {
                let mut v = [0u8; 8];
                let n = b.len().min(8);
                v[..n].copy_from_slice(&b[..n]);
                pg_sys::Datum::from(u64::from_le_bytes(v))
            }
            Stored::Fixed(b) | Stored::Varlena(b) => pg_sys::Datum::from(palloc_copy(b, false)),
            Stored::CString(b) => {
                let b = b.strip_suffix(&[0]).unwrap_or(b);
                pg_sys::Datum::from(palloc_copy(b, true))
            }
        };
        if att.typid == CASHOID {
            // money's text form depends on lc_monetary on both sides; its
            // internal integer does not. Rebuild it from the integer and
            // the replaying session's number of fractional digits.
            let cents = datum.value() as i64;
            return format!(
                "(CAST('{cents}' AS pg_catalog.numeric) / (10::pg_catalog.numeric ^ pg_catalog.scale(CAST(CAST(0 AS pg_catalog.money) AS pg_catalog.numeric))))::pg_catalog.money"
            );
        }
        let t = self.type_out(att.typid, att.typmod);
        // SAFETY: the datum is of the column's type (built from the stored
        // bytes); the output function returns a palloc'd C string.
        let text = unsafe { pg_sys::OidOutputFunctionCall(t.output_fn, datum) };
        // SAFETY: quote_literal_cstr returns a palloc'd C string, freed
        // here with the output text: rows stream, and memory must not grow
        // with them until the call ends.
        let quoted = unsafe {
            let q = pg_sys::quote_literal_cstr(text);
            pg_sys::pfree(text.cast());
            q
        };
        // SAFETY: NUL-terminated, from quote_literal_cstr.
        let q = unsafe { CStr::from_ptr(quoted) }.to_bytes();
        let mut lit = String::with_capacity(q.len() + 2 + t.sql.len());
        lit.push_str(&String::from_utf8_lossy(q));
        // SAFETY: allocated by quote_literal_cstr above.
        unsafe { pg_sys::pfree(quoted.cast()) };
        lit.push_str("::");
        lit.push_str(&t.sql);
        lit
    }
}
