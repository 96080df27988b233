//! A catalog tuple split into its columns with the catalog's own tuple
//! descriptor ([`super::columns`]), and typed reads of them by column
//! name, each checked against the bytes the column holds. Every error
//! names the catalog, the major version and the column.

use super::columns::Catalog;
use crate::heap::tuple::{deform, AttrDesc, Datum, TupleHeader};
use crate::version::PgVersion;

/// Size of a `name` value (`NAMEDATALEN`), terminating NUL included.
pub const NAMEDATALEN: usize = 64;

/// The columns of one catalog tuple.
pub struct Fields<'a> {
    catalog: &'static Catalog,
    version: PgVersion,
    names: Vec<&'static str>,
    values: Vec<Datum<'a>>,
}

impl<'a> Fields<'a> {
    /// Deforms `tuple` (header included) as a tuple of `catalog` in
    /// `version`. A catalog tuple is always formed with every column of
    /// its catalog (`heap_form_tuple`, `heap_modify_tuple`; catalogs never
    /// gain columns within a major), so any other attribute count means
    /// the bytes are not such a tuple, or belong to another major.
    pub fn deform(
        catalog: &'static Catalog,
        version: PgVersion,
        tuple: &'a [u8],
    ) -> Result<Fields<'a>, String> {
        let context =
            |msg: String| format!("{} tuple (PG {}): {msg}", catalog.name, version.major());
        let descriptor = catalog.descriptor(version);
        let header = TupleHeader::parse(tuple)
            .ok_or_else(|| context(format!("{} bytes are too few for a tuple", tuple.len())))?;
        if header.natts() != descriptor.len() {
            return Err(context(format!(
                "{} attributes where the catalog has {}",
                header.natts(),
                descriptor.len()
            )));
        }
        let atts: Vec<AttrDesc> = descriptor.iter().map(|c| c.1).collect();
        let values = deform(tuple, &atts).map_err(|e| context(e.to_string()))?;
        Ok(Fields { catalog, version, names: descriptor.iter().map(|c| c.0).collect(), values })
    }

    /// An error about `column` of this tuple, with the catalog and major.
    pub fn context(&self, column: &str, msg: impl std::fmt::Display) -> String {
        format!("{} tuple (PG {}): {column}: {msg}", self.catalog.name, self.version.major())
    }

    /// The raw value of `column`.
    fn value(&self, column: &str) -> Result<Datum<'a>, String> {
        self.names
            .iter()
            .position(|n| *n == column)
            .and_then(|i| self.values.get(i).copied())
            .ok_or_else(|| self.context(column, "no such column"))
    }

    /// A fixed-length, never-NULL value of exactly `N` bytes.
    fn fixed<const N: usize>(&self, column: &str) -> Result<[u8; N], String> {
        match self.value(column)? {
            Datum::Fixed(b) => b
                .try_into()
                .map_err(|_| self.context(column, format!("{} bytes, not {N}", b.len()))),
            Datum::Null => Err(self.context(column, "NULL in a NOT NULL column")),
            other => Err(self.context(column, format!("not a fixed-length value: {other:?}"))),
        }
    }

    pub fn oid(&self, column: &str) -> Result<u32, String> {
        self.fixed::<4>(column).map(u32::from_le_bytes)
    }

    pub fn i32(&self, column: &str) -> Result<i32, String> {
        self.fixed::<4>(column).map(i32::from_le_bytes)
    }

    pub fn i16(&self, column: &str) -> Result<i16, String> {
        self.fixed::<2>(column).map(i16::from_le_bytes)
    }

    /// A C `bool`: any non-zero byte is true (`DatumGetBool`).
    pub fn bool(&self, column: &str) -> Result<bool, String> {
        self.fixed::<1>(column).map(|[b]| b != 0)
    }

    /// A `"char"`: its one byte, 0 for the empty value.
    pub fn char(&self, column: &str) -> Result<u8, String> {
        self.fixed::<1>(column).map(|[b]| b)
    }

    /// A `name`: the text before its NUL, which must be there
    /// (`namein` never fills all 64 bytes) and must be UTF-8: a name is
    /// never guessed at, it ends up in SQL.
    pub fn name(&self, column: &str) -> Result<String, String> {
        let b = self.fixed::<NAMEDATALEN>(column)?;
        let end = b.iter().position(|&c| c == 0).ok_or_else(|| self.context(column, "no NUL"))?;
        String::from_utf8(b[..end].to_vec()).map_err(|_| self.context(column, "not UTF-8"))
    }

    /// A variable-length value as stored (header included), `None` when
    /// NULL. Catalogs keep the values read here inline: a TOAST pointer
    /// is refused.
    pub fn varlena(&self, column: &str) -> Result<Option<&'a [u8]>, String> {
        match self.value(column)? {
            Datum::Null => Ok(None),
            Datum::Varlena(v) => Ok(Some(v)),
            Datum::External(_) => Err(self.context(column, "stored out of line")),
            other => Err(self.context(column, format!("not a varlena: {other:?}"))),
        }
    }
}
