//! Text for people: the block-reference column of pg_walinspect
//! (`XLogRecGetBlockRefInfo` in xlogdesc.c, detailed, not pretty) and the
//! record-type name with PostgreSQL's fallback for unknown types.

use std::borrow::Cow;
use std::fmt::Write;

use crate::image::Compression;
use crate::layout::BLCKSZ;
use crate::record::Record;
use crate::rmgr;
use crate::rmgr::text::push_u32;

/// Fork names as `forkNames[]` (relpath.c).
pub fn fork_name(fork: u8) -> &'static str {
    match fork {
        0 => "main",
        1 => "fsm",
        2 => "vm",
        3 => "init",
        _ => "unknown",
    }
}

/// Appends the block references of `rec` the way pg_walinspect shows them.
pub fn block_refs(rec: &Record<'_>, out: &mut String) {
    for b in rec.blocks() {
        // As PostgreSQL: a space before every block but block 0, even the
        // first one written.
        if b.id > 0 {
            out.push(' ');
        }
        out.push_str("blkref #");
        push_u32(out, u32::from(b.id));
        out.push_str(": rel ");
        push_u32(out, b.locator.spc);
        out.push('/');
        push_u32(out, b.locator.db);
        out.push('/');
        push_u32(out, b.locator.rel);
        out.push_str(" fork ");
        out.push_str(fork_name(b.fork));
        out.push_str(" blk ");
        push_u32(out, b.blkno);
        if let Some(img) = &b.image {
            let apply = if img.apply { "" } else { " for WAL verification" };
            let _ = write!(
                out,
                " (FPW{apply}); hole: offset: {}, length: {}",
                img.hole_offset, img.hole_length
            );
            let method = match img.compression {
                Compression::None => None,
                Compression::Pglz => Some("pglz"),
                Compression::Lz4 => Some("lz4"),
                Compression::Zstd => Some("zstd"),
            };
            if let Some(method) = method {
                let saved = BLCKSZ as i64 - i64::from(img.hole_length) - img.stored_len() as i64;
                let _ = write!(out, ", compression saved: {saved}, method: {method}");
            }
        }
    }
}

/// The record type as `rm_identify` names it, or `UNKNOWN (%x)` as
/// pg_walinspect prints when it has none.
pub fn record_type(rec: &Record<'_>) -> Cow<'static, str> {
    record_type_of(rec.version(), rec.rmid(), rec.info())
}

/// [`record_type`] from its parts.
pub fn record_type_of(version: crate::PgVersion, rmid: u8, info: u8) -> Cow<'static, str> {
    match rmgr::identify(version, rmid, info) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(format!("UNKNOWN ({:x})", info & !crate::record::XLR_INFO_MASK)),
    }
}

/// The resource manager's name; custom ones as `custom###` like PostgreSQL.
pub fn rmgr_name(rmid: u8) -> Cow<'static, str> {
    match rmgr::rmgr_name(rmid) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(format!("custom{rmid:03}")),
    }
}

/// The `rm_desc` text of a record.
pub fn description(rec: &Record<'_>, out: &mut String) {
    let block0 = rec.block(0);
    let input = rmgr::DescInput {
        version: rec.version(),
        rmid: rec.rmid(),
        info: rec.info(),
        main_data: rec.main_data(),
        block0_has_image: block0.is_some_and(|b| b.has_image()),
        block0_data: rec.block_data(0),
        origin: rec.origin().unwrap_or(0),
    };
    rmgr::describe(&input, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{record, with_record, TBlock, WalWriter};
    use crate::RelFileLocator;

    #[test]
    fn block_ref_text() {
        let rel = RelFileLocator { spc: 1663, db: 5, rel: 16384 };
        let blocks = [
            TBlock {
                id: 0,
                rel: Some(rel),
                blkno: 3,
                image: Some((vec![0; 8000], 100, 192, 0x03)),
                ..Default::default()
            },
            TBlock { id: 2, fork: 2, rel: None, blkno: 0, data: vec![1], ..Default::default() },
        ];
        let mut w = WalWriter::new(1 << 20, 1);
        let text = |w: &WalWriter, lsn| {
            with_record(w, lsn, |rec| {
                let mut s = String::new();
                block_refs(rec, &mut s);
                (s, rec.fpi_len())
            })
        };
        let lsn = w.append(record(10, 0, 1, &blocks, &[0; 3]));
        assert_eq!(
            text(&w, lsn),
            (
                "blkref #0: rel 1663/5/16384 fork main blk 3 (FPW); hole: offset: 100, length: 192 \
                 blkref #2: rel 1663/5/16384 fork vm blk 0"
                    .to_string(),
                8000
            )
        );
        assert_eq!(rmgr_name(200), "custom200");
        let mut n = String::new();
        for v in [0, 7, 10, 4_294_967_295] {
            push_u32(&mut n, v);
            n.push(',');
        }
        assert_eq!(n, "0,7,10,4294967295,");
        // Without block 0 the text starts with a space, as PostgreSQL's does.
        let blocks = [TBlock { id: 1, rel: Some(rel), blkno: 9, ..Default::default() }];
        let lsn = w.append(record(10, 0, 1, &blocks, &[0; 3]));
        assert_eq!(text(&w, lsn).0, " blkref #1: rel 1663/5/16384 fork main blk 9");
    }
}
