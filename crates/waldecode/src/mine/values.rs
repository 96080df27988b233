//! From a deformed row to SQL values: what the miner decides itself
//! (NULLs, dropped columns, values added later by `ALTER TABLE ... ADD
//! COLUMN ... DEFAULT`, values stored out of line or compressed) and what it asks a
//! [`Render`] for — the literal of a stored value, which only the server's
//! type output functions can write exactly.

use super::catalog::{AttInfo, RelInfo};
use super::sql::Value;
use super::toast::inline_plain;
use crate::heap::toast::ToastPointer;
use crate::heap::tuple::{deform, Datum};

/// A value as a tuple stores it (inline, not NULL): what a [`Render`]
/// turns into a literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored<'a> {
    /// A fixed-length value, `attlen` bytes (little-endian when by value).
    Fixed(&'a [u8]),
    /// A varlena, header included (1- or 4-byte header, possibly
    /// compressed inline).
    Varlena(&'a [u8]),
    /// A NUL-terminated string, NUL included.
    CString(&'a [u8]),
}

/// Writes SQL literals of stored values. The extension implements it with
/// PostgreSQL's output functions; tests with a few types of their own.
pub trait Render {
    /// Called before the values of one row of `rel` are rendered (the
    /// extension switches to fixed output settings here when the row needs
    /// them).
    fn begin_row(&mut self, _rel: &RelInfo) {}

    /// Called after the values of one row are rendered.
    fn end_row(&mut self) {}

    /// The SQL expression (a literal with its cast) for a stored value of
    /// `att`; `Err` with the reason when it cannot be written (the type
    /// no longer exists).
    fn literal(&mut self, att: &AttInfo, value: Stored<'_>) -> Result<String, String>;
}

/// Finds the value a TOAST pointer names: a plain varlena, or why not.
pub type Detoast<'a> = dyn FnMut(&ToastPointer) -> Result<Vec<u8>, String> + 'a;

/// The values of every column of `rel` in `tuple`, rendered; `Err` with a
/// reason when the tuple cannot be split into columns.
pub fn row_values<R: Render>(
    render: &mut R,
    rel: &RelInfo,
    tuple: &[u8],
    detoast: &mut Detoast<'_>,
) -> Result<Vec<Value>, String> {
    let datums = deform(tuple, &rel.atts).map_err(|e| format!("could not decode the row: {e}"))?;
    render.begin_row(rel);
    let values = rel
        .atts
        .iter()
        .zip(datums.iter().chain(std::iter::repeat(&Datum::Missing)))
        .map(|(att, d)| if att.dropped() { Value::Null } else { value(render, att, d, detoast) })
        .collect();
    render.end_row();
    Ok(values)
}

/// One column's value.
fn value<R: Render>(
    render: &mut R,
    att: &AttInfo,
    d: &Datum<'_>,
    detoast: &mut Detoast<'_>,
) -> Value {
    let stored = match (d, &att.missing) {
        (Datum::Null, _) | (Datum::Missing, None) => return Value::Null,
        // The row predates the column: it reads as the column's missing
        // value.
        (Datum::Missing, Some(bytes)) => match att.layout.attlen {
            -1 => Stored::Varlena(bytes),
            -2 => Stored::CString(bytes),
            _ => Stored::Fixed(bytes),
        },
        (Datum::External(ptr), _) => {
            // The reason names the stored value: an UPDATE that kept the
            // pointer kept the value, one that changed it did not.
            let Some(p) = ToastPointer::parse(ptr) else {
                return Value::Unavailable(format!(
                    "column {} holds an unreadable TOAST pointer {ptr:02X?}",
                    att.name
                ));
            };
            return match detoast(&p) {
                Ok(plain) => lit(render.literal(att, Stored::Varlena(&plain))),
                Err(why) => Value::Unavailable(format!(
                    "column {} holds a value stored out of line (TOAST {}) that could not be recovered: {why}",
                    att.name,
                    p.describe()
                )),
            };
        }
        (Datum::Fixed(b), _) => Stored::Fixed(b),
        (Datum::Varlena(b), _) => match inline_plain(b) {
            Ok(Some(plain)) => return lit(render.literal(att, Stored::Varlena(&plain))),
            Ok(None) => Stored::Varlena(b),
            Err(why) => {
                return Value::Unavailable(format!(
                    "column {} holds an invalid value: {why}",
                    att.name
                ))
            }
        },
        (Datum::CString(b), _) => Stored::CString(b),
    };
    lit(render.literal(att, stored))
}

fn lit(l: Result<String, String>) -> Value {
    match l {
        Ok(s) => Value::Lit(s),
        Err(why) => Value::Withheld(why),
    }
}
