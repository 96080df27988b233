//! Turns stored values into SQL literals that replay to the identical
//! value in any session: rendered by the type's own output function under
//! fixed settings (ISO dates, UTC, postgres interval style, exact floats,
//! hex bytea), quoted by `quote_literal`, and cast to the column's
//! schema-qualified type with its type modifier. It is the [`Render`] the
//! miner of the decoder crate asks for literals.

use std::ffi::{CStr, CString};
use waldecode::fxhash::FxHashMap;

use pgrx::pg_sys;
use waldecode::mine::catalog::{AttInfo, RelInfo};
use waldecode::mine::{Render, Stored};

use crate::catalog::format_type;
use crate::encoding::to_utf8;
use crate::privileges::{Access, RelationAccess};

/// Output settings under which every literal is rendered.
/// (An empty `search_path` makes the output of reg* values inside arrays
/// and composites schema-qualified; scalar ones are written as OIDs.)
const FIXED_SETTINGS: [(&str, &str); 6] = [
    ("datestyle", "ISO, YMD"),
    ("intervalstyle", "postgres"),
    ("timezone", "UTC"),
    ("extra_float_digits", "3"),
    ("bytea_output", "hex"),
    ("search_path", ""),
];

/// The OID alias types (`regclass`, `regtype`, …): their text is a name
/// that the replaying session's `search_path` would resolve, so they are
/// written as the OID they store, which their input reads back as is.
const REG_TYPES: [u32; 11] = [24, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096, 4191];

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
    /// The base type, through domains.
    base: u32,
    /// An array of an OID alias type (through domains).
    reg_array: bool,
    sql: String,
}

/// Renders values with the server's output functions; caches per type.
#[derive(Default)]
pub struct ServerRender {
    /// `None`: the type no longer exists.
    types: FxHashMap<(u32, i32), Option<TypeOut>>,
    /// The GUC nesting level of the fixed settings, while they are in
    /// force.
    level: Option<i32>,
    /// Whether the fixed settings stay in force from row to row until
    /// [`ServerRender::release_settings`] (rows rendered in a batch).
    holding: bool,
    /// For a role that may read only some columns: its privileges, and
    /// the relation of the row being rendered.
    masking: Option<(RelationAccess, u32)>,
}

impl ServerRender {
    /// A renderer that refuses the values of columns the current user may
    /// not SELECT (`access` must be [`Access::Granted`]; anything else
    /// masks nothing).
    pub fn masking(access: Access) -> ServerRender {
        let masking = match access {
            Access::Granted(a) => Some((a, 0)),
            Access::All => None,
        };
        ServerRender { masking, ..ServerRender::default() }
    }

    /// Keeps the fixed settings, once a row needed them, in force for the
    /// next rows too, until [`ServerRender::release_settings`]: the cost of
    /// switching them is paid once per batch of rows instead of per row.
    /// The caller releases them before anything else runs in the session
    /// (before it returns a row to the executor).
    pub fn hold_settings(&mut self) {
        self.holding = true;
    }

    /// Restores the session's own settings, if the fixed ones are in force,
    /// and renders row by row again.
    pub fn release_settings(&mut self) {
        self.holding = false;
        if let Some(level) = self.level.take() {
            pop_settings(level);
        }
    }
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

/// `array` (a stored array varlena) with its element type set to oid, in
/// a 4-byte header; `None` when it is not an array's bytes.
fn oid_array(array: &[u8]) -> Option<Vec<u8>> {
    let b0 = *array.first()?;
    let mut v = if b0 & 0x01 == 0x01 {
        // A short header: the 4-byte form the array functions expect.
        let body = array.get(1..usize::from(b0 >> 1))?;
        let mut v = (((body.len() + 4) as u32) << 2).to_le_bytes().to_vec();
        v.extend_from_slice(body);
        v
    } else if b0 & 0x03 == 0x00 {
        array.to_vec()
    } else {
        return None;
    };
    v.get_mut(12..16)?.copy_from_slice(&pg_sys::OIDOID.to_u32().to_le_bytes());
    Some(v)
}

/// Built-in types whose literal is exact and of the column's own type (or
/// one that converts to it implicitly) without quotes and cast: integer,
/// bigint, numeric, boolean. Not their domains (whose checks a cast runs),
/// nor smallint (a bare number is an integer, which casts to it only by
/// assignment: `int2send(1)` does not resolve).
const BOOLOID: u32 = 16;
const INT8OID: u32 = 20;
const INT4OID: u32 = 23;
const NUMERICOID: u32 = 1700;

/// The bare SQL literal of a value of type `typid` printed as `text`,
/// where one is exact: `42`, `-1.50`, `true`. `None` otherwise (NaN,
/// infinities, the most negative integers, whose bare form is of a wider
/// type than the column's).
fn bare_literal(typid: u32, text: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let exact = match typid {
        BOOLOID => {
            return match text {
                "t" => Some("true".into()),
                "f" => Some("false".into()),
                _ => None,
            }
        }
        // The output functions' own text, when it reads back as the
        // column's type: digits (after a minus), and not the most negative
        // value.
        INT4OID => text.parse::<i32>().is_ok_and(|v| v != i32::MIN),
        INT8OID => text.parse::<i64>().is_ok_and(|v| v != i64::MIN),
        NUMERICOID => {
            let unsigned = text.strip_prefix('-').unwrap_or(text);
            let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
            digits(int) && digits(frac)
        }
        _ => false,
    };
    exact.then(|| text.to_owned())
}

/// A value's text by `output_fn`, as a quoted SQL literal.
fn output_literal(output_fn: pg_sys::Oid, datum: pg_sys::Datum) -> String {
    output_text(output_fn, datum, None).0
}

/// A value's text by `output_fn`, as a quoted SQL literal — or, for a
/// value of type `bare` that has an exact bare literal, that (and `true`).
fn output_text(output_fn: pg_sys::Oid, datum: pg_sys::Datum, bare: Option<u32>) -> (String, bool) {
    // SAFETY: the datum is of the output function's type (built from the
    // stored bytes); the output function returns a palloc'd C string.
    let text = unsafe { pg_sys::OidOutputFunctionCall(output_fn, datum) };
    if let Some(typid) = bare {
        // SAFETY: NUL-terminated, from the output function.
        let b = bare_literal(typid, unsafe { CStr::from_ptr(text) }.to_bytes());
        if let Some(b) = b {
            // SAFETY: palloc'd by the output function, no longer used.
            unsafe { pg_sys::pfree(text.cast()) };
            return (b, true);
        }
    }
    // SAFETY: NUL-terminated, from the output function, which allocated
    // it; freed here: rows stream, and memory must not grow with them
    // until the call ends.
    let lit = unsafe {
        let lit = quote_literal(&to_utf8(CStr::from_ptr(text).to_bytes()));
        pg_sys::pfree(text.cast());
        lit
    };
    (lit, false)
}

/// `quote_literal`: `text` in single quotes, each quote doubled, and
/// with an `E` before it and each backslash doubled when it holds one.
/// (The server's works byte by byte on its encoding, whose bytes below
/// 128 are always ASCII characters, so on the same text in UTF-8 it makes
/// the same literal.)
fn quote_literal(text: &str) -> String {
    let mut q = String::with_capacity(text.len() + 3);
    if text.contains('\\') {
        q.push('E');
    }
    q.push('\'');
    let mut rest = text;
    while let Some(i) = rest.find(['\'', '\\']) {
        q.push_str(&rest[..=i]);
        q.push_str(&rest[i..=i]);
        rest = &rest[i + 1..];
    }
    q.push_str(rest);
    q.push('\'');
    q
}

impl ServerRender {
    fn type_out(&mut self, typid: u32, typmod: i32) -> Option<&TypeOut> {
        let t = self.types.entry((typid, typmod)).or_insert_with(|| {
            // A type dropped since (with the table whose rows are read)
            // has no output function left.
            let sql = format_type(typid, typmod)?;
            let mut output_fn = pg_sys::InvalidOid;
            let mut varlena = false;
            let oid = pg_sys::Oid::from(typid);
            // SAFETY: catalog lookups for a type that exists.
            let base = unsafe {
                pg_sys::getTypeOutputInfo(oid, &mut output_fn, &mut varlena);
                pg_sys::getBaseType(oid).to_u32()
            };
            // SAFETY: catalog lookups for existing types.
            let reg_array = unsafe {
                let elem = pg_sys::get_element_type(base.into());
                elem != pg_sys::InvalidOid
                    && REG_TYPES.contains(&pg_sys::getBaseType(elem).to_u32())
            };
            Some(TypeOut { output_fn, base, reg_array, sql })
        });
        t.as_ref()
    }
}

impl Render for ServerRender {
    fn begin_row(&mut self, rel: &RelInfo) {
        if let Some((_, relid)) = &mut self.masking {
            *relid = rel.oid;
        }
        if self.level.is_none() && needs_fixed_settings(&rel.atts) {
            self.level = Some(push_fixed_settings());
        }
    }

    fn end_row(&mut self) {
        if !self.holding {
            self.release_settings();
        }
    }

    fn withholds(&mut self, att: &AttInfo) -> bool {
        self.masking.as_mut().is_some_and(|(access, relid)| !access.column(*relid, att.attnum))
    }

    fn literal(&mut self, att: &AttInfo, d: Stored<'_>) -> Result<String, String> {
        if self.withholds(att) {
            return Err(format!("no SELECT privilege on column {}", att.name));
        }
        let Some(t) = self.type_out(att.typid, att.typmod) else {
            return Err(format!(
                "the type of column {} (OID {}) no longer exists",
                att.name, att.typid
            ));
        };
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
        if t.base == CASHOID {
            // money's text form depends on lc_monetary on both sides; its
            // internal integer does not. Rebuild it from the integer and
            // the replaying session's number of fractional digits (and
            // cast to the domain, for a domain over money).
            let cents = datum.value() as i64;
            let domain = if att.typid == CASHOID { String::new() } else { format!("::{}", t.sql) };
            return Ok(format!(
                "(CAST('{cents}' AS pg_catalog.numeric) OPERATOR(pg_catalog./) (CAST('10' AS pg_catalog.numeric) OPERATOR(pg_catalog.^) pg_catalog.scale(CAST(CAST(0 AS pg_catalog.money) AS pg_catalog.numeric))))::pg_catalog.money{domain}"
            ));
        }
        if REG_TYPES.contains(&t.base) {
            return Ok(format!("'{}'::{}", datum.value() as u32, t.sql));
        }
        if let (true, Stored::Varlena(bytes)) = (t.reg_array, d) {
            if let Some(as_oids) = oid_array(bytes) {
                // The same array read as oid[]: its elements print as the
                // OIDs they are, and oid[] casts to it binary-exactly.
                let datum = pg_sys::Datum::from(palloc_copy(&as_oids, false));
                let text = output_literal(pg_sys::Oid::from(pg_sys::F_ARRAY_OUT), datum);
                return Ok(format!("{text}::pg_catalog.oid[]::{}", t.sql));
            }
        }
        let (mut lit, bare) = output_text(t.output_fn, datum, Some(att.typid));
        if bare {
            return Ok(lit);
        }
        lit.reserve(2 + t.sql.len());
        lit.push_str("::");
        lit.push_str(&t.sql);
        Ok(lit)
    }
}
