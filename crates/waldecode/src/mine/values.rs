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

    /// Whether `literal` would refuse `att`'s values in the current row
    /// (a column the role may not read).
    fn withholds(&mut self, _att: &AttInfo) -> bool {
        false
    }

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

/// The values of both row versions of an UPDATE of `rel`, rendered. A
/// column whose stored bytes are the same in both holds the same value:
/// unless the statements name the row by it (a key column, or every
/// column of a table without a key) it is not rendered at all, and stands
/// as NULL in both — the statements leave columns that did not change
/// alone. A column the renderer withholds is still offered to it: a
/// withheld value is never taken as unchanged.
pub fn update_values<R: Render>(
    render: &mut R,
    rel: &RelInfo,
    old: &[u8],
    new: &[u8],
    detoast: &mut Detoast<'_>,
) -> (Result<Vec<Value>, String>, Result<Vec<Value>, String>) {
    let why = |e| format!("could not decode the row: {e}");
    let (old_d, new_d) = match (deform(old, &rel.atts), deform(new, &rel.atts)) {
        (Ok(o), Ok(n)) => (o, n),
        // One version cannot be split into columns: the other is
        // rendered whole, as for a DELETE or an INSERT.
        (o, n) => {
            let mut one = |d: Result<Vec<Datum<'_>>, _>, t| {
                d.map_err(why).and_then(|_| row_values(render, rel, t, detoast))
            };
            return (one(o, old), one(n, new));
        }
    };
    let missing = std::iter::repeat(&Datum::Missing);
    render.begin_row(rel);
    let mut old_v = Vec::with_capacity(rel.atts.len());
    let mut new_v = Vec::with_capacity(rel.atts.len());
    for (i, ((att, o), n)) in rel
        .atts
        .iter()
        .zip(old_d.iter().chain(missing.clone()))
        .zip(new_d.iter().chain(missing))
        .enumerate()
    {
        let names_row = rel.key.is_empty() || rel.key.contains(&i);
        if att.dropped() || (o == n && !names_row && !render.withholds(att)) {
            old_v.push(Value::Null);
            new_v.push(Value::Null);
            continue;
        }
        old_v.push(value(render, att, o, detoast));
        new_v.push(value(render, att, n, detoast));
    }
    render.end_row();
    (Ok(old_v), Ok(new_v))
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
