//! Relation maps: which file number each mapped catalog uses
//! (`pg_filenode.map`; port of `RelMapFile` and its reading in
//! relmapper.c). Mapped catalogs — `pg_class`, `pg_attribute`, `pg_proc`,
//! `pg_type`, their indexes and the shared catalogs — have
//! `pg_class.relfilenode` 0; their file numbers change (VACUUM FULL,
//! CLUSTER, …) only through this map, which is rewritten whole and logged
//! whole first (`XLOG_RELMAP_UPDATE`, [`crate::rmgr::relmap`]). There is
//! one map for the shared catalogs (`global/`) and one per database.

use crate::bytes::Cursor;
use crate::rmgr::relmap::XlRelmapUpdate;
use crate::version::PgVersion;

/// `RELMAPPER_FILEMAGIC`, the first word of every map.
pub const RELMAPPER_FILEMAGIC: u32 = 0x0059_2717;

/// Size of the file's header: `magic` and `num_mappings`.
const RELMAP_HEADER_SIZE: usize = 8;
/// Size of one `RelMapping`: `mapoid`, `mapfilenumber`.
const RELMAPPING_SIZE: usize = 8;

/// The layout of `RelMapFile` in `version`: up to PG 15 it holds 62
/// mappings and a pad word, 512 bytes; PG 16 raised `MAX_MAPPINGS` to 64
/// and dropped the pad (524 bytes), checked on real files of each major.
fn max_mappings_and_size(version: PgVersion) -> (usize, usize) {
    let (max, pad) = match version {
        PgVersion::V14 | PgVersion::V15 => (62, 4),
        PgVersion::V16 | PgVersion::V17 | PgVersion::V18 => (64, 0),
    };
    (max, RELMAP_HEADER_SIZE + max * RELMAPPING_SIZE + 4 + pad)
}

/// One mapped relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelMapping {
    /// The catalog's OID (`mapoid`).
    pub oid: u32,
    /// Its file number (`mapfilenode`, `mapfilenumber` from PG 16).
    pub filenumber: u32,
}

/// A relation map file's mappings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelMapFile {
    pub mappings: Vec<RelMapping>,
}

impl RelMapFile {
    /// `sizeof(RelMapFile)` in `version`: the file's size and the `nbytes`
    /// of its WAL record.
    pub fn size(version: PgVersion) -> usize {
        max_mappings_and_size(version).1
    }

    /// Parses a whole map file with the checks of `read_relmap_file`:
    /// exact size, magic, mapping count and CRC-32C of everything before
    /// the CRC.
    pub fn parse(version: PgVersion, file: &[u8]) -> Result<RelMapFile, String> {
        let (max, size) = max_mappings_and_size(version);
        if file.len() != size {
            return Err(format!(
                "relation map of {} bytes, PG {} writes {size}",
                file.len(),
                version.major()
            ));
        }
        let mut c = Cursor::new(file);
        let (Some(magic), Some(n)) = (c.u32(), c.i32()) else {
            return Err("relation map header past the end".into());
        };
        if magic != RELMAPPER_FILEMAGIC {
            return Err(format!("relation map magic {magic:#x}"));
        }
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("relation map of {n} mappings"))?;
        let crc_at = RELMAP_HEADER_SIZE + max * RELMAPPING_SIZE;
        let (Some(stored), Some(covered)) = (Cursor::at(file, crc_at).u32(), file.get(..crc_at))
        else {
            return Err("relation map CRC past the end".into());
        };
        let computed = crc32c::crc32c(covered);
        if computed != stored {
            return Err(format!("relation map CRC {stored:#010x}, computed {computed:#010x}"));
        }
        let mut mappings = Vec::with_capacity(n);
        for _ in 0..n {
            let (Some(oid), Some(filenumber)) = (c.u32(), c.u32()) else {
                return Err("relation map mapping past the end".into());
            };
            mappings.push(RelMapping { oid, filenumber });
        }
        Ok(RelMapFile { mappings })
    }

    /// The map an `XLOG_RELMAP_UPDATE` record installs: its `nbytes` must
    /// be the size of a map in `version` (`relmap_redo` PANICs
    /// otherwise) and its data exactly that map.
    pub fn from_record(version: PgVersion, rec: &XlRelmapUpdate<'_>) -> Result<RelMapFile, String> {
        let size = RelMapFile::size(version);
        if usize::try_from(rec.nbytes).ok() != Some(size) || rec.data.len() != size {
            return Err(format!(
                "relation map update of {} bytes ({} logged), PG {} maps are {size}",
                rec.nbytes,
                rec.data.len(),
                version.major()
            ));
        }
        RelMapFile::parse(version, rec.data)
    }

    /// The file number of catalog `oid` (`RelationMapOidToFilenumber`).
    pub fn filenumber(&self, oid: u32) -> Option<u32> {
        self.mappings.iter().find(|m| m.oid == oid).map(|m| m.filenumber)
    }

    /// The catalog using file number `filenumber`
    /// (`RelationMapFilenumberToOid`).
    pub fn oid(&self, filenumber: u32) -> Option<u32> {
        self.mappings.iter().find(|m| m.filenumber == filenumber).map(|m| m.oid)
    }
}
