//! The catalog rows of real servers of every major (`fixtures/syscat`,
//! made by its `make.sh`): raw catalog pages dumped with pageinspect,
//! the rows' fields as SQL printed them, the catalogs' live column
//! descriptors and the relation maps. Every tuple on every page must
//! parse, every row SQL saw must read the same here, every truncation of
//! a tuple must be refused and no garbling may panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::relmap::RelMapFile;
use super::*;
use crate::heap::page::{max_offset, tuple, PageBuf};
use crate::layout::BLCKSZ;
use crate::rmgr::relmap::{RelmapRecord, XLOG_RELMAP_UPDATE};
use crate::version::PgVersion;

const MAJORS: [PgVersion; 5] =
    [PgVersion::V14, PgVersion::V15, PgVersion::V16, PgVersion::V17, PgVersion::V18];

fn fixture_dir(v: PgVersion) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/syscat/pg{}", v.major()))
}

/// `COPY ... TO STDOUT` text: one map per row, `None` for `\N`.
type Tsv = Vec<BTreeMap<String, Option<String>>>;

fn unescape(field: &str) -> Option<String> {
    if field == "\\N" {
        return None;
    }
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('\\') => '\\',
            Some('t') => '\t',
            Some('n') => '\n',
            Some('r') => '\r',
            other => panic!("escape \\{other:?} in {field:?}"),
        });
    }
    Some(out)
}

fn read_tsv(path: &Path) -> Tsv {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    lines
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            assert_eq!(fields.len(), header.len(), "{}: {l}", path.display());
            header.iter().map(|h| h.to_string()).zip(fields.iter().map(|f| unescape(f))).collect()
        })
        .collect()
}

/// The pages of `catalog` in a fixture, by block number.
fn pages(dir: &Path, catalog: &str) -> BTreeMap<u32, Box<PageBuf>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(blk) = name
            .strip_prefix(&format!("{catalog}."))
            .and_then(|r| r.strip_suffix(".page"))
            .map(|b| b.parse::<u32>().unwrap())
        else {
            continue;
        };
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        assert_eq!(bytes.len(), BLCKSZ, "{name}");
        out.insert(blk, Box::new(<PageBuf>::try_from(bytes.as_slice()).unwrap()));
    }
    assert!(!out.is_empty(), "no pages of {catalog} in {}", dir.display());
    out
}

fn b(v: bool) -> String {
    if v { "t" } else { "f" }.to_string()
}

fn hex(v: &[u8]) -> String {
    v.iter().map(|b| format!("{b:02x}")).collect()
}

/// A row's fields as the fixture's SQL prints them.
type Rendered = Vec<(&'static str, Option<String>)>;

fn render_class(r: ClassRow) -> Rendered {
    vec![
        ("oid", Some(r.oid.to_string())),
        ("relname", Some(r.relname)),
        ("relnamespace", Some(r.relnamespace.to_string())),
        ("relfilenode", Some(r.relfilenode.to_string())),
        ("reltablespace", Some(r.reltablespace.to_string())),
        ("reltoastrelid", Some(r.reltoastrelid.to_string())),
        ("relkind", Some(r.relkind.to_string())),
        ("relpersistence", Some(r.relpersistence.to_string())),
        ("relnatts", Some(r.relnatts.to_string())),
        ("relreplident", Some(r.relreplident.to_string())),
        ("relrewrite", Some(r.relrewrite.to_string())),
    ]
}

fn render_attribute(r: AttributeRow) -> Rendered {
    vec![
        ("attrelid", Some(r.attrelid.to_string())),
        ("attname", Some(r.attname)),
        ("atttypid", Some(r.atttypid.to_string())),
        ("attlen", Some(r.attlen.to_string())),
        ("attnum", Some(r.attnum.to_string())),
        ("atttypmod", Some(r.atttypmod.to_string())),
        ("attbyval", Some(b(r.attbyval))),
        ("attalign", Some(r.attalign.to_string())),
        ("attstorage", Some(r.attstorage.to_string())),
        ("attnotnull", Some(b(r.attnotnull))),
        ("atthasdef", Some(b(r.atthasdef))),
        ("atthasmissing", Some(b(r.atthasmissing))),
        ("attidentity", Some(r.attidentity.to_string())),
        ("attgenerated", Some(r.attgenerated.to_string())),
        ("attisdropped", Some(b(r.attisdropped))),
        ("attcollation", Some(r.attcollation.to_string())),
        ("attmissingval", r.attmissingval.as_deref().map(hex)),
    ]
}

fn render_namespace(r: NamespaceRow) -> Rendered {
    vec![("oid", Some(r.oid.to_string())), ("nspname", Some(r.nspname))]
}

fn render_index(r: IndexRow) -> Rendered {
    let indkey: Vec<String> = r.indkey.iter().map(i16::to_string).collect();
    vec![
        ("indexrelid", Some(r.indexrelid.to_string())),
        ("indrelid", Some(r.indrelid.to_string())),
        ("indnatts", Some(r.indnatts.to_string())),
        ("indnkeyatts", Some(r.indnkeyatts.to_string())),
        ("indisunique", Some(b(r.indisunique))),
        ("indisprimary", Some(b(r.indisprimary))),
        ("indisreplident", Some(b(r.indisreplident))),
        ("indisvalid", Some(b(r.indisvalid))),
        ("indislive", Some(b(r.indislive))),
        ("indkey", Some(indkey.join(" "))),
    ]
}

fn render_type(r: TypeRow) -> Rendered {
    vec![
        ("oid", Some(r.oid.to_string())),
        ("typname", Some(r.typname)),
        ("typnamespace", Some(r.typnamespace.to_string())),
        ("typlen", Some(r.typlen.to_string())),
        ("typbyval", Some(b(r.typbyval))),
        ("typalign", Some(r.typalign.to_string())),
        ("typtype", Some(r.typtype.to_string())),
        ("typsend", Some(r.typsend.to_string())),
        ("typelem", Some(r.typelem.to_string())),
    ]
}

/// Parses a tuple of the catalog and renders the row.
type ParseRender = fn(PgVersion, &[u8]) -> Result<Rendered, String>;

const CATALOGS: [(&str, ParseRender); 5] = [
    ("pg_class", |v, t| ClassRow::parse(v, t).map(render_class)),
    ("pg_attribute", |v, t| AttributeRow::parse(v, t).map(render_attribute)),
    ("pg_namespace", |v, t| NamespaceRow::parse(v, t).map(render_namespace)),
    ("pg_index", |v, t| IndexRow::parse(v, t).map(render_index)),
    ("pg_type", |v, t| TypeRow::parse(v, t).map(render_type)),
];

/// Every normal item of every fixture page of `catalog`, with its place.
fn tuples(v: PgVersion, catalog: &str) -> Vec<(u32, u16, Vec<u8>)> {
    let mut out = Vec::new();
    for (blk, page) in pages(&fixture_dir(v), catalog) {
        for off in 1..=max_offset(&page) as u16 {
            if let Some(t) = tuple(&page, off) {
                out.push((blk, off, t.to_vec()));
            }
        }
    }
    out
}

#[test]
fn every_major_has_a_fixture() {
    for v in MAJORS {
        assert!(fixture_dir(v).join("columns.tsv").is_file(), "no fixture for PG {}", v.major());
    }
}

#[test]
fn descriptors_match_the_live_catalogs() {
    for v in MAJORS {
        let live = read_tsv(&fixture_dir(v).join("columns.tsv"));
        for cat in [&PG_CLASS, &PG_ATTRIBUTE, &PG_NAMESPACE, &PG_INDEX, &PG_TYPE] {
            let expected: Vec<String> = live
                .iter()
                .filter(|r| r["catalog"].as_deref() == Some(cat.name))
                .map(|r| {
                    let f = |k: &str| r[k].clone().unwrap();
                    let align = f("attalign").parse::<u8>().unwrap() as char;
                    format!("{} {} {align} {}", f("attname"), f("attlen"), f("attbyval"))
                })
                .collect();
            let ours: Vec<String> = cat
                .descriptor(v)
                .iter()
                .map(|(n, a)| format!("{n} {} {} {}", a.attlen, a.attalign as char, b(a.attbyval)))
                .collect();
            assert_eq!(ours, expected, "{} in PG {}", cat.name, v.major());
        }
    }
}

#[test]
fn rows_read_as_sql_printed_them() {
    for v in MAJORS {
        for (catalog, parse) in CATALOGS {
            let all = tuples(v, catalog);
            // Every item on the pages, dead row versions included.
            for (blk, off, t) in &all {
                if let Err(e) = parse(v, t) {
                    panic!("PG {} {catalog} ({blk},{off}): {e}", v.major());
                }
            }
            let expected = read_tsv(&fixture_dir(v).join(format!("{catalog}.tsv")));
            assert!(expected.len() >= 4, "PG {} {catalog}: {} rows", v.major(), expected.len());
            for row in &expected {
                let at = |k: &str| row[k].as_deref().unwrap().parse::<u32>().unwrap();
                let (blk, lp) = (at("blk"), at("lp"));
                let (_, _, t) = all
                    .iter()
                    .find(|(b, o, _)| *b == blk && u32::from(*o) == lp)
                    .unwrap_or_else(|| panic!("PG {} {catalog}: no tuple ({blk},{lp})", v.major()));
                let got = parse(v, t).unwrap();
                assert_eq!(got.len() + 2, row.len(), "PG {} {catalog}: columns", v.major());
                for (name, value) in got {
                    assert_eq!(
                        value.as_ref(),
                        row[name].as_ref(),
                        "PG {} {catalog} ({blk},{lp}) {name}",
                        v.major()
                    );
                }
            }
        }
    }
}

/// The fixture's workload covers the cases the module exists for; a
/// fixture made without them would make the comparison above vacuous.
#[test]
fn the_fixture_covers_the_interesting_rows() {
    for v in MAJORS {
        let atts: Vec<AttributeRow> = tuples(v, "pg_attribute")
            .iter()
            .map(|(_, _, t)| AttributeRow::parse(v, t).unwrap())
            .collect();
        let missing = |name: &str| {
            atts.iter()
                .find(|a| a.attname == name && a.atthasmissing)
                .unwrap()
                .attmissingval
                .clone()
        };
        assert_eq!(missing("m_int"), Some(42i32.to_le_bytes().to_vec()));
        assert_eq!(missing("m_text"), Some(b"\x0dhello".to_vec()));
        assert_eq!(missing("m_vc"), Some(b"\x09abc".to_vec()));
        assert!(missing("m_num").is_some() && missing("m_ts").is_some_and(|t| t.len() == 8));
        let big = missing("m_big").unwrap();
        assert_eq!((big.len(), &big[4..10]), (2104, &b"abcabc"[..]));
        assert!(atts
            .iter()
            .any(|a| a.attisdropped && a.atttypid == 0 && a.attmissingval.is_none()));
        assert!(atts.iter().any(|a| a.attidentity == b'a'));
        assert!(atts.iter().any(|a| a.attidentity == b'd'));
        assert!(atts.iter().any(|a| a.attgenerated == b's'));
        let idx: Vec<IndexRow> =
            tuples(v, "pg_index").iter().map(|(_, _, t)| IndexRow::parse(v, t).unwrap()).collect();
        assert!(idx.iter().any(|i| i.indisreplident && i.indisunique && !i.indisprimary));
        assert!(idx.iter().any(|i| i.indisprimary && i.indkey.len() == 2));
        assert!(idx.iter().any(|i| i.indnatts == 3 && i.indnkeyatts == 2));
        let nsp: Vec<NamespaceRow> = tuples(v, "pg_namespace")
            .iter()
            .map(|(_, _, t)| NamespaceRow::parse(v, t).unwrap())
            .collect();
        assert!(nsp.iter().any(|n| n.nspname == "Sch \"é\" 1"));
        let class: Vec<ClassRow> =
            tuples(v, "pg_class").iter().map(|(_, _, t)| ClassRow::parse(v, t).unwrap()).collect();
        let pg_class = class.iter().find(|c| c.oid == RELATION_RELATION_ID).unwrap();
        assert_eq!((pg_class.relname.as_str(), pg_class.relfilenode), ("pg_class", 0));
        assert!(class.iter().any(|c| c.relpersistence == b'u' && c.relreplident == b'f'));
    }
}

#[test]
fn relation_maps_match_pg_relation_filenode() {
    for v in MAJORS {
        let dir = fixture_dir(v);
        let global = RelMapFile::parse(v, &std::fs::read(dir.join("global.map")).unwrap()).unwrap();
        let local =
            RelMapFile::parse(v, &std::fs::read(dir.join("database.map")).unwrap()).unwrap();
        let expected = read_tsv(&dir.join("relmap.tsv"));
        let (mut nglobal, mut nlocal) = (0, 0);
        for row in &expected {
            let num = |k: &str| row[k].as_deref().unwrap().parse::<u32>().unwrap();
            let (map, n) = if row["shared"].as_deref() == Some("t") {
                (&global, &mut nglobal)
            } else {
                (&local, &mut nlocal)
            };
            *n += 1;
            assert_eq!(map.filenumber(num("oid")), Some(num("filenode")), "PG {}", v.major());
            assert_eq!(map.oid(num("filenode")), Some(num("oid")));
        }
        assert_eq!((global.mappings.len(), local.mappings.len()), (nglobal, nlocal));
        // The CLUSTERed pg_class has a file of its own now.
        assert_ne!(local.filenumber(RELATION_RELATION_ID), Some(RELATION_RELATION_ID));
    }
}

#[test]
fn relation_map_records_and_damage() {
    for v in MAJORS {
        let file = std::fs::read(fixture_dir(v).join("database.map")).unwrap();
        let parsed = RelMapFile::parse(v, &file).unwrap();
        // What write_relmap_file logs: dbid, tsid, nbytes, then the file.
        let mut main = 5u32.to_le_bytes().to_vec();
        main.extend_from_slice(&1663u32.to_le_bytes());
        main.extend_from_slice(&(file.len() as i32).to_le_bytes());
        main.extend_from_slice(&file);
        let Some(RelmapRecord::Update(rec)) = RelmapRecord::parse(v, XLOG_RELMAP_UPDATE, &main)
        else {
            panic!("not an update")
        };
        assert_eq!(RelMapFile::from_record(v, &rec).unwrap(), parsed);
        let short = RelmapRecord::parse(v, XLOG_RELMAP_UPDATE, &main[..main.len() - 1]);
        let Some(RelmapRecord::Update(short)) = short else { panic!("not an update") };
        assert!(RelMapFile::from_record(v, &short).is_err());
        // Any byte changed before the CRC, or in it, is caught.
        for at in [0, 4, 9, 100, file.len() - 9, RelMapFile::size(v) - 5] {
            let mut bad = file.clone();
            bad[at] ^= 0x10;
            assert!(RelMapFile::parse(v, &bad).is_err(), "PG {} byte {at}", v.major());
        }
        // A map of the other layout is refused.
        let other = if v <= PgVersion::V15 { PgVersion::V16 } else { PgVersion::V15 };
        assert!(RelMapFile::parse(other, &file).is_err());
        for n in 0..file.len() {
            assert!(RelMapFile::parse(v, &file[..n]).is_err());
        }
    }
}

#[test]
fn truncated_or_garbled_tuples_are_refused_never_a_panic() {
    let mut state = 0x2545_f491u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for v in MAJORS {
        for (catalog, parse) in CATALOGS {
            for (i, (blk, off, t)) in tuples(v, catalog).iter().enumerate() {
                // Every tuple ends with a column's last byte: any cut
                // loses part of a column or of the header.
                let step = if i % 5 == 0 { 1 } else { 13 };
                for n in (0..t.len()).step_by(step) {
                    assert!(
                        parse(v, &t[..n]).is_err(),
                        "PG {} {catalog} ({blk},{off}) cut at {n}",
                        v.major()
                    );
                }
                // A tuple of another major is refused or read without a
                // panic; garbled bytes likewise.
                for other in MAJORS {
                    let _ = parse(other, t);
                }
                for _ in 0..40 {
                    let mut g = t.clone();
                    for _ in 0..1 + next() % 3 {
                        let at = next() as usize % g.len();
                        g[at] = next() as u8;
                    }
                    let _ = parse(v, &g);
                }
            }
        }
    }
}
