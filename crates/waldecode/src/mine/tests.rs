//! The miner over real WAL, without a server: the `pg15-mixed` fixture
//! (`fixtures/pg15-mixed`, made by its `make.sh` on PostgreSQL 15) with a
//! catalog read from its `catalog.tsv` and a renderer for the four types
//! its tables use. Every expected statement below was written from the
//! fixture's `schema.sql` and `workload.sql`, not from the miner's output.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::catalog::AttInfo;
use super::*;
use crate::scan::EndPolicy;
use crate::source::DirSource;
use crate::syscat::{AttributeRow, ClassRow, IndexRow, NamespaceRow};
use crate::WalReader;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pg15-mixed")
}

/// `range.txt`: start, end, redo.
fn range() -> (Lsn, Lsn, Lsn) {
    let text = std::fs::read_to_string(fixture().join("range.txt")).unwrap();
    let v: Vec<Lsn> = text.split_whitespace().map(|s| s.parse().unwrap()).collect();
    (v[0], v[1], v[2])
}

fn xids() -> HashMap<String, u32> {
    let text = std::fs::read_to_string(fixture().join("xids.tsv")).unwrap();
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn ident(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// The live catalog of a fixture at its end, from its `catalog.tsv`: the
/// tables that still exist, as catalog rows.
struct FakeCatalog {
    classes: HashMap<u32, ClassRow>,
    attributes: HashMap<(u32, i16), AttributeRow>,
    namespaces: HashMap<u32, NamespaceRow>,
    indexes: HashMap<u32, IndexRow>,
    /// Transactions before the workload (all committed).
    first_xid: u32,
    lookups: usize,
}

/// OIDs the fake gives what catalog.tsv names without one.
const FAKE_INDEX_OID_BASE: u32 = 900_000;

impl FakeCatalog {
    fn load_from(dir: &std::path::Path) -> FakeCatalog {
        let text = std::fs::read_to_string(dir.join("catalog.tsv")).unwrap();
        let first_xid = std::fs::read_to_string(dir.join("xids.tsv"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('\t')?.1.parse().ok())
            .min()
            .unwrap();
        let mut c = FakeCatalog {
            classes: HashMap::new(),
            attributes: HashMap::new(),
            namespaces: HashMap::new(),
            indexes: HashMap::new(),
            first_xid,
            lookups: 0,
        };
        let mut by_node = HashMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f[0] {
                "rel" => {
                    let oid: u32 = f[4].parse().unwrap();
                    let nsp = if f[5] == "public" { 2200 } else { 800_000 + oid };
                    c.namespaces.insert(nsp, NamespaceRow { oid: nsp, nspname: f[5].into() });
                    by_node.insert(f[3].to_string(), oid);
                    c.classes.insert(
                        oid,
                        ClassRow {
                            oid,
                            relname: f[6].into(),
                            relnamespace: nsp,
                            relfilenode: f[3].parse().unwrap(),
                            reltablespace: 0,
                            reltoastrelid: 0,
                            relkind: b'r',
                            relpersistence: b'p',
                            relnatts: 0,
                            relreplident: b'd',
                            relrewrite: 0,
                            ..Default::default()
                        },
                    );
                    if f[7] != "-" {
                        let indkey: Vec<i16> =
                            f[7].split(',').map(|a| a.parse().unwrap()).collect();
                        let ioid = FAKE_INDEX_OID_BASE + oid;
                        c.indexes.insert(
                            ioid,
                            IndexRow {
                                indexrelid: ioid,
                                indrelid: oid,
                                indnatts: indkey.len() as i16,
                                indnkeyatts: indkey.len() as i16,
                                indisunique: true,
                                indisprimary: true,
                                indisreplident: false,
                                indisvalid: true,
                                indislive: true,
                                indkey,
                                ..Default::default()
                            },
                        );
                    }
                }
                "att" => {
                    let relid = by_node[f[1]];
                    let attnum: i16 = f[2].parse().unwrap();
                    c.classes.get_mut(&relid).unwrap().relnatts = attnum;
                    let a = AttributeRow {
                        attrelid: relid,
                        attname: f[3].into(),
                        atttypid: f[4].parse().unwrap(),
                        attlen: f[6].parse().unwrap(),
                        attnum,
                        atttypmod: f[5].parse().unwrap(),
                        attbyval: f[8] == "t",
                        attalign: f[7].as_bytes()[0],
                        attstorage: b'p',
                        attnotnull: false,
                        atthasdef: false,
                        atthasmissing: false,
                        attidentity: if f[11] == "-" { 0 } else { f[11].as_bytes()[0] },
                        attgenerated: if f[10] == "-" { 0 } else { f[10].as_bytes()[0] },
                        attisdropped: f[9] == "t",
                        attcollation: 0,
                        attmissingval: None,
                        ..Default::default()
                    };
                    c.attributes.insert((relid, attnum), a);
                }
                other => panic!("catalog.tsv: {other}"),
            }
        }
        c
    }
}

impl Catalog for FakeCatalog {
    fn database(&self) -> (u32, u32) {
        (5, 1663)
    }

    fn catalog_filenodes(&mut self) -> Vec<(u32, u32)> {
        // As initdb leaves them in PostgreSQL 15.
        vec![(1259, 1259), (1249, 1249), (2615, 2615), (2610, 2610)]
    }

    fn relid_by_filenode(&mut self, spc: u32, filenode: u32) -> Option<u32> {
        self.lookups += 1;
        let found = self.classes.values().find(|c| c.relfilenode == filenode && spc == 0);
        found.map(|c| c.oid).or_else(|| (filenode < 16384).then_some(filenode))
    }

    fn class(&mut self, oid: u32) -> Option<ClassRow> {
        self.classes.get(&oid).cloned().or_else(|| {
            // System catalogs: enough to be skipped.
            (oid < 16384).then(|| ClassRow {
                oid,
                relname: format!("catalog {oid}"),
                relnamespace: 11,
                relfilenode: oid,
                reltablespace: 0,
                reltoastrelid: 0,
                relkind: b'r',
                relpersistence: b'p',
                relnatts: 0,
                relreplident: b'n',
                relrewrite: 0,
                ..Default::default()
            })
        })
    }

    fn attribute(&mut self, relid: u32, attnum: i16) -> Option<AttributeRow> {
        self.attributes.get(&(relid, attnum)).cloned()
    }

    fn namespace(&mut self, oid: u32) -> Option<NamespaceRow> {
        self.namespaces.get(&oid).cloned()
    }

    fn index_oids(&mut self, relid: u32) -> Vec<u32> {
        self.indexes.values().filter(|i| i.indrelid == relid).map(|i| i.indexrelid).collect()
    }

    fn index(&mut self, oid: u32) -> Option<IndexRow> {
        self.indexes.get(&oid).cloned()
    }

    fn xid_committed(&mut self, xid: u32) -> Option<bool> {
        (xid < self.first_xid).then_some(true)
    }

    fn send_function(&mut self, typid: u32) -> Option<String> {
        let send = match typid {
            16 => "boolsend",
            20 => "int8send",
            23 => "int4send",
            25 => "textsend",
            _ => return None,
        };
        Some(format!("pg_catalog.{send}"))
    }

    fn equality_operator(&mut self, _typid: u32) -> Option<String> {
        Some(super::sql::BUILTIN_EQ.to_string())
    }

    fn column_type(&mut self, typid: u32, typmod: i32, collation: u32) -> Option<String> {
        let ty = match (typid, typmod) {
            (16, _) => "boolean",
            (20, _) => "bigint",
            (23, _) => "integer",
            (25, _) => "pg_catalog.text",
            _ => return None,
        };
        // The types' own collations: none, or "default" (100) for text.
        match (typid, collation) {
            (25, 100) | (16 | 20 | 23, 0) => Some(ty.to_string()),
            _ => None,
        }
    }

    fn default_opclass(&mut self, typid: u32, am: u32) -> Option<u32> {
        // int4_ops, int8_ops and text_ops of btree.
        match (typid, am) {
            (23, 403) => Some(1978),
            (20, 403) => Some(3124),
            (25, 403) => Some(3126),
            _ => None,
        }
    }

    fn quote_ident(&mut self, name: &str) -> String {
        ident(name)
    }
}

/// Literals as the extension writes them, for bool, int8, int4 and text.
struct FakeRender {
    rows: usize,
    open: bool,
    /// Literals written.
    literals: usize,
}

impl Render for FakeRender {
    fn begin_row(&mut self, _rel: &RelInfo) {
        assert!(!self.open, "rows do not nest");
        self.open = true;
        self.rows += 1;
    }

    fn end_row(&mut self) {
        self.open = false;
    }

    fn literal(&mut self, att: &AttInfo, value: Stored<'_>) -> Result<String, String> {
        assert!(self.open, "values are rendered inside a row");
        self.literals += 1;
        let int = |b: &[u8]| {
            let mut v = [0u8; 8];
            v[..b.len()].copy_from_slice(b);
            i64::from_le_bytes(v)
        };
        Ok(match (att.typid, value) {
            (16, Stored::Fixed(b)) => format!("'{}'::boolean", b[0] != 0),
            (20, Stored::Fixed(b)) => format!("'{}'::bigint", int(b)),
            (23, Stored::Fixed(b)) => format!("'{}'::integer", int(b) as i32),
            (25, Stored::Varlena(v)) => {
                // Only uncompressed values occur: 1-byte or 4-byte headers.
                let body = if v[0] & 1 == 1 { &v[1..] } else { &v[4..] };
                let s = std::str::from_utf8(body).unwrap();
                format!("'{}'::text", s.replace('\'', "''"))
            }
            other => panic!("unexpected value {other:?}"),
        })
    }
}

/// A miner over the fixture in `dir` (its WAL, its catalog.tsv), from
/// `start` to `end`.
fn miner_of(dir: &Path, (start, end): (Lsn, Lsn), filters: Filters, options: Options) -> TestMiner {
    let src = DirSource::open(&dir.join("wal"), None, None).unwrap();
    let explicit_end = end != Lsn(u64::MAX);
    let scan =
        Scan::new(WalReader::new(src), start, end, EndPolicy::Directory { explicit_end }).unwrap();
    let render = FakeRender { rows: 0, open: false, literals: 0 };
    Miner::new(scan, filters, FakeCatalog::load_from(dir), render, options).unwrap()
}

/// Where a fixture's range starts (range.txt).
fn fixture_start(dir: &Path) -> Lsn {
    let text = std::fs::read_to_string(dir.join("range.txt")).unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

fn miner_with(start: Lsn, filters: Filters, options: Options) -> TestMiner {
    miner_of(&fixture(), (start, Lsn(u64::MAX)), filters, options)
}

type TestMiner = Miner<DirSource, FakeCatalog, FakeRender>;

fn miner(start: Lsn, filters: Filters, page_cache_bytes: usize) -> TestMiner {
    miner_with(start, filters, Options { page_cache_bytes, ..Options::default() })
}

fn all(m: &mut TestMiner) -> Vec<MinedRow> {
    let mut rows = Vec::new();
    while let Some(r) = m.next_row().unwrap() {
        rows.push(r);
    }
    rows
}

/// (xid, op, relation, redo, undo) of each row, the fixture_xids table left out.
fn summary(rows: &[MinedRow], skip_xid: u32) -> Vec<(u32, &'static str, String, String, String)> {
    rows.iter()
        .filter(|r| r.xid != skip_xid)
        .map(|r| {
            (
                r.xid,
                r.op.as_str(),
                r.relation.as_ref().map_or(String::new(), |r| r.name.to_string()),
                r.redo.clone().unwrap_or_default(),
                r.undo.clone().unwrap_or_default(),
            )
        })
        .collect()
}

const ACCOUNTS: &str = "INSERT INTO public.accounts (id, owner, balance, active, note) VALUES";
const EVENTS_DUP: &str = "ctid OPERATOR(pg_catalog.=) (SELECT ctid FROM public.events WHERE \
    pg_catalog.textsend(kind) OPERATOR(pg_catalog.=) pg_catalog.textsend('dup'::text) AND \
    pg_catalog.int4send(n) OPERATOR(pg_catalog.=) pg_catalog.int4send('1'::integer) LIMIT 1)";

#[test]
fn committed_changes_with_redo_and_undo() {
    let x = xids();
    let (start, _, _) = range();
    let mut m = miner(start, Filters::default(), 1 << 20);
    let rows = all(&mut m);
    assert!(rows.iter().all(|r| r.complete && r.info.is_none()), "{rows:#?}");
    assert!(rows.iter().all(|r| r.status == Status::Committed && r.commit_time.is_some()));
    assert!(rows.windows(2).all(|w| (w[0].lsn, w[0].item) < (w[1].lsn, w[1].item)));
    let got = summary(&rows, x["fixture_xids"]);
    let s = |xid: &str, op: &'static str, rel: &str, redo: &str, undo: &str| {
        (x[xid], op, rel.to_string(), redo.to_string(), undo.to_string())
    };
    let del = |rel: &str, cond: &str| format!("DELETE FROM public.{rel} WHERE {cond};");
    let kv_ins = |k: i32, v: &str| {
        (
            format!("INSERT INTO public.kv (k, v) VALUES ('{k}'::integer, {v});"),
            del("kv", &format!("k OPERATOR(pg_catalog.=) '{k}'::integer")),
        )
    };
    let mut want = vec![
        s(
            "insert",
            "INSERT",
            "accounts",
            &format!("{ACCOUNTS} ('21'::integer, 'O''Brien'::text, '9000000000'::bigint, 'true'::boolean, NULL);"),
            &del("accounts", "id OPERATOR(pg_catalog.=) '21'::integer"),
        ),
        s(
            "insert",
            "INSERT",
            "accounts",
            &format!("{ACCOUNTS} ('22'::integer, 'Zoë'::text, '-5'::bigint, 'false'::boolean, 'naïve café'::text);"),
            &del("accounts", "id OPERATOR(pg_catalog.=) \'22\'::integer"),
        ),
        s(
            "insert",
            "INSERT",
            "accounts",
            &format!("{ACCOUNTS} ('23'::integer, 'plain'::text, '0'::bigint, NULL, 'it''s \"quoted\"'::text);"),
            &del("accounts", "id OPERATOR(pg_catalog.=) \'23\'::integer"),
        ),
        s(
            "hot_update",
            "UPDATE",
            "accounts",
            "UPDATE public.accounts SET note = 'hot note'::text WHERE id OPERATOR(pg_catalog.=) '1'::integer;",
            "UPDATE public.accounts SET note = 'note 1'::text WHERE id OPERATOR(pg_catalog.=) '1'::integer;",
        ),
        s(
            "cold_update",
            "UPDATE",
            "accounts",
            "UPDATE public.accounts SET balance = '120'::bigint WHERE id OPERATOR(pg_catalog.=) '2'::integer;",
            "UPDATE public.accounts SET balance = '20'::bigint WHERE id OPERATOR(pg_catalog.=) '2'::integer;",
        ),
        s(
            "key_update",
            "UPDATE",
            "accounts",
            "UPDATE public.accounts SET id = '1000'::integer WHERE id OPERATOR(pg_catalog.=) '3'::integer;",
            "UPDATE public.accounts SET id = '3'::integer WHERE id OPERATOR(pg_catalog.=) '1000'::integer;",
        ),
        s(
            "delete",
            "DELETE",
            "accounts",
            &del("accounts", "id OPERATOR(pg_catalog.=) \'4\'::integer"),
            &format!("{ACCOUNTS} ('4'::integer, 'owner 4'::text, '40'::bigint, 'true'::boolean, 'note 4'::text);"),
        ),
    ];
    for (k, v) in [
        (10, "'ten'::text"),
        (11, "'eleven'::text"),
        (12, "'twelve, with a comma'::text"),
        (13, "'it''s thirteen'::text"),
        (14, "NULL"),
        (100, "'kept'::text"),
        (102, "'after'::text"),
    ] {
        let (redo, undo) = kv_ins(k, v);
        want.push(s(if k < 100 { "copy" } else { "subxact" }, "INSERT", "kv", &redo, &undo));
    }
    let (redo, undo) = kv_ins(500, "'fresh'::text");
    want.extend([
        s(
            "prepared_commit",
            "UPDATE",
            "kv",
            "UPDATE public.kv SET v = '2pc'::text WHERE k OPERATOR(pg_catalog.=) '1'::integer;",
            "UPDATE public.kv SET v = 'one'::text WHERE k OPERATOR(pg_catalog.=) '1'::integer;",
        ),
        s(
            "upsert_update",
            "UPDATE",
            "kv",
            "UPDATE public.kv SET v = 'conflict'::text WHERE k OPERATOR(pg_catalog.=) '3'::integer;",
            "UPDATE public.kv SET v = 'three'::text WHERE k OPERATOR(pg_catalog.=) '3'::integer;",
        ),
        s("upsert_insert", "INSERT", "kv", &redo, &undo),
        s(
            "nokey",
            "UPDATE",
            "events",
            &format!("UPDATE public.events SET n = '2'::integer WHERE {EVENTS_DUP};"),
            "UPDATE public.events SET n = '1'::integer WHERE ctid OPERATOR(pg_catalog.=) (SELECT ctid FROM \
             public.events WHERE pg_catalog.textsend(kind) OPERATOR(pg_catalog.=) pg_catalog.textsend('dup'::text) \
             AND pg_catalog.int4send(n) OPERATOR(pg_catalog.=) pg_catalog.int4send('2'::integer) LIMIT 1);",
        ),
        s(
            "nokey",
            "DELETE",
            "events",
            &del("events", EVENTS_DUP),
            "INSERT INTO public.events (kind, n) VALUES ('dup'::text, '1'::integer);",
        ),
        // A row written before `flag` was added: flag reads as NULL; the
        // dropped column is never written.
        s(
            "later",
            "UPDATE",
            "later",
            "UPDATE public.later SET flag = 'true'::boolean WHERE k OPERATOR(pg_catalog.=) '1'::integer;",
            "UPDATE public.later SET flag = NULL WHERE k OPERATOR(pg_catalog.=) '1'::integer;",
        ),
        s(
            "later",
            "INSERT",
            "later",
            "INSERT INTO public.later (k, flag) VALUES ('99'::integer, NULL);",
            &del("later", "k OPERATOR(pg_catalog.=) \'99\'::integer"),
        ),
    ]);
    assert_eq!(got, want);
    // The COPY's rows are one record, told apart by item.
    let copy: Vec<_> =
        rows.iter().filter(|r| r.xid == x["copy"]).map(|r| (r.lsn, r.item)).collect();
    assert_eq!(copy.iter().map(|c| c.1).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    assert!(copy.iter().all(|c| c.0 == copy[0].0));
    // The committed subtransaction's row carries its top-level xid.
    assert_eq!(rows.iter().filter(|r| r.xid == x["subxact"]).count(), 2);
    // The last transaction stores 18 labels in a table without a key.
    let labels: Vec<_> = rows.iter().filter(|r| r.xid == x["fixture_xids"]).collect();
    assert_eq!(labels.len(), 18);
    assert_eq!(
        labels[0].redo.as_deref(),
        Some(
            format!("INSERT INTO public.fixture_xids (label, xid) VALUES ('insert'::text, '{}'::bigint);", x["insert"])
                .as_str()
        )
    );
    // Each row was rendered once per row version, and each lookup of a
    // relation answered.
    assert!(m.render.rows >= rows.len());
    assert!(!m.render.open);
    assert!(m.take_warning().is_none());
}

#[test]
fn uncommitted_changes_on_request() {
    let x = xids();
    let (start, _, _) = range();
    let f = Filters { include_uncommitted: true, ..Filters::default() };
    let rows = all(&mut miner(start, f, 1 << 20));
    let other: Vec<_> = rows
        .iter()
        .filter(|r| r.status != Status::Committed)
        .map(|r| {
            (r.xid, r.status, r.op.as_str(), r.redo.clone().unwrap_or_default(), r.commit_time)
        })
        .collect();
    // The rolled-back subtransaction's parent is not in WAL at `replica`
    // (no ASSIGNMENT record): its rows carry the subtransaction's xid.
    let sub = x["subxact_sub"];
    assert_eq!(
        other,
        vec![
            (
                sub,
                Status::Aborted,
                "INSERT",
                "INSERT INTO public.kv (k, v) VALUES ('101'::integer, 'rolled back'::text);".into(),
                None
            ),
            (
                sub,
                Status::Aborted,
                "UPDATE",
                "UPDATE public.accounts SET note = 'rolled back'::text WHERE id OPERATOR(pg_catalog.=) '5'::integer;"
                    .into(),
                None
            ),
            (
                x["aborted"],
                Status::Aborted,
                "DELETE",
                "DELETE FROM public.accounts WHERE id OPERATOR(pg_catalog.=) '6'::integer;".into(),
                None
            ),
            (
                x["prepared_abort"],
                Status::Aborted,
                "UPDATE",
                "UPDATE public.kv SET v = '2pc rolled back'::text WHERE k OPERATOR(pg_catalog.=) '2'::integer;".into(),
                None
            ),
        ]
    );
    assert_eq!(rows.iter().filter(|r| r.status == Status::Committed).count(), 21 + 18);
    assert!(rows.iter().all(|r| r.complete));
}

#[test]
fn filters_by_xid_relation_and_commit_time() {
    let x = xids();
    let (start, _, _) = range();
    let every = all(&mut miner(start, Filters::default(), 1 << 20));
    // One transaction, its committed subtransaction included.
    let f = Filters { xid: Some(x["subxact"]), ..Filters::default() };
    let rows = all(&mut miner(start, f, 1 << 20));
    let ks: Vec<_> = rows.iter().map(|r| r.redo.clone().unwrap()).collect();
    assert_eq!(ks.len(), 2, "{ks:?}");
    assert!(ks[0].contains("'100'::integer") && ks[1].contains("'102'::integer"));
    // One table.
    let kv_oid = every.iter().find(|r| r.relation.as_ref().unwrap().name.as_ref() == "kv").unwrap();
    let kv_oid = kv_oid.relation.as_ref().unwrap().oid;
    let f = Filters { relations: Some(HashSet::from([kv_oid])), ..Filters::default() };
    let rows = all(&mut miner(start, f, 1 << 20));
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r.relation.as_ref().unwrap().oid == kv_oid));
    // A commit-time window: from the 2PC commit to the upsert's commit.
    let time = |label: &str| every.iter().find(|r| r.xid == x[label]).unwrap().commit_time;
    let f = Filters {
        start_time: time("prepared_commit"),
        end_time: time("upsert_update"),
        ..Filters::default()
    };
    let rows = all(&mut miner(start, f.clone(), 1 << 20));
    let xs: Vec<_> = rows.iter().map(|r| r.xid).collect();
    assert_eq!(xs, vec![x["prepared_commit"], x["upsert_update"]]);
    // Without a start LSN the rows start where the window's first
    // transaction wrote, and come out the same.
    let options =
        Options { page_cache_bytes: 1 << 20, start_at_first_commit: true, ..Options::default() };
    let mut m = miner_with(start, f, options);
    assert_eq!(all(&mut m), rows);
    assert_eq!(m.row_start, rows[0].lsn);
}

#[test]
fn a_range_starting_mid_workload_tracks_pages_from_the_checkpoint_before() {
    let x = xids();
    let (start, _, _) = range();
    let every = all(&mut miner(start, Filters::default(), 1 << 20));
    // Start at the 2PC update: its page (kv, block 0) was imaged after the
    // middle checkpoint, before this start.
    let at = every.iter().find(|r| r.xid == x["prepared_commit"]).unwrap().lsn;
    let rows = all(&mut miner(at, Filters::default(), 1 << 20));
    let tail: Vec<_> = every.iter().filter(|r| r.lsn >= at).cloned().collect();
    assert_eq!(rows, tail);
    assert!(rows.iter().all(|r| r.complete));
}

#[test]
fn the_smallest_page_cache_gives_the_same_rows() {
    let (start, _, _) = range();
    let f = Filters { include_uncommitted: true, ..Filters::default() };
    let big = all(&mut miner(start, f.clone(), 1 << 20));
    let small = all(&mut miner(start, f, 0));
    assert_eq!(big, small);
}

#[test]
fn an_update_renders_only_its_key_and_what_changed() {
    let x = xids();
    let (start, _, _) = range();
    let f = Filters { xid: Some(x["hot_update"]), ..Filters::default() };
    let mut m = miner(start, f, 1 << 20);
    let rows = all(&mut m);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert!(rows[0].complete);
    // accounts (id, owner, balance, active, note): the key and the note,
    // old and new; owner, balance and active kept their bytes. Both
    // versions are rendered as one row (one switch of output settings).
    assert_eq!((m.render.literals, m.render.rows), (4, 1));
}

#[test]
fn a_page_is_kept_only_until_its_last_old_row_version_is_read() {
    let (start, _, _) = range();
    let f = Filters { include_uncommitted: true, ..Filters::default() };
    let mut m = miner(start, f, 1 << 20);
    let mut kept_while_mining = 0;
    while m.next_row().unwrap().is_some() {
        kept_while_mining = kept_while_mining.max(m.store.keys().len());
    }
    assert!(kept_while_mining > 0);
    // Every UPDATE and DELETE read its page and was the last to: no
    // table's page is left, only TOAST pages (kept for their chunks).
    let end = m.end();
    let left: Vec<_> = m
        .store
        .keys()
        .into_iter()
        .filter(|k| !matches!(m.relations.relation(k.locator, end, 0, &m.xacts), RelLookup::Toast))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Too many pages to note within a page budget of nothing: every page
    // is kept, and the rows are the same.
    let f = Filters { include_uncommitted: true, ..Filters::default() };
    let mut tiny = miner(start, f.clone(), 0);
    assert!(tiny.reads.is_none());
    let rows = all(&mut tiny);
    assert_eq!(rows, all(&mut miner(start, f, 1 << 20)));
    assert!(!tiny.store.keys().is_empty());
}

#[test]
fn unknown_files_are_reported_and_system_catalogs_skipped() {
    let (start, _, _) = range();
    let mut m = miner(start, Filters::default(), 1 << 20);
    // Forget the kv table: the range changes no catalog row of it, so
    // nothing tells which relation its file was; its rows come back
    // incomplete, with the reason.
    m.relations.catalog.classes.retain(|_, c| c.relname != "kv");
    let rows = all(&mut m);
    let gone: Vec<_> = rows.iter().filter(|r| r.relation.is_none()).collect();
    assert_eq!(gone.len(), 10);
    assert!(gone.iter().all(|r| !r.complete
        && r.redo.is_none()
        && r.undo.is_none()
        && r.info.as_deref().is_some_and(|i| i.contains("which relation used file 1663/5/"))));
    assert!(m.relations.catalog.lookups > 0);
}

/// The `pg15-ddl` fixture: tables created, altered, rewritten, truncated,
/// renamed and dropped, with row changes between each step; only `keep_t`
/// (and `fixture_xids`) exist at its end.
fn ddl_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pg15-ddl")
}

/// The fixture's transactions by label (`xids.tsv`).
fn read_xids(dir: &Path) -> HashMap<String, u32> {
    std::fs::read_to_string(dir.join("xids.tsv"))
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

#[test]
fn rows_of_altered_rewritten_and_dropped_tables_decode_as_they_were() {
    let dir = ddl_fixture();
    let x = read_xids(&dir);
    let options = Options { page_cache_bytes: 1 << 20, ..Options::default() };
    let range = (fixture_start(&dir), Lsn(u64::MAX));
    let mut m = miner_of(&dir, range, Filters::default(), options);
    let rows = all(&mut m);
    let got: Vec<_> = rows
        .iter()
        .filter(|r| r.xid != x["fixture_xids"] && !matches!(r.op, Op::Ddl | Op::Truncate))
        .map(|r| {
            (
                r.xid,
                r.op.as_str(),
                r.redo.clone().unwrap_or_else(|| format!("INCOMPLETE: {:?}", r.info)),
                r.undo.clone().unwrap_or_default(),
                r.relation.as_ref().is_some_and(|rel| rel.gone),
            )
        })
        .collect();
    let eq = "OPERATOR(pg_catalog.=)";
    let s = |label: &str, op: &'static str, redo: String, undo: String, gone: bool| {
        (x[label], op, redo, undo, gone)
    };
    let want = vec![
        s(
            "create",
            "INSERT",
            "INSERT INTO public.t1 (id, a) VALUES ('1'::integer, 'one'::text);".into(),
            format!("DELETE FROM public.t1 WHERE id {eq} '1'::integer;"),
            true,
        ),
        s(
            "create",
            "INSERT",
            "INSERT INTO public.t1 (id, a) VALUES ('2'::integer, 'two'::text);".into(),
            format!("DELETE FROM public.t1 WHERE id {eq} '2'::integer;"),
            true,
        ),
        // After ADD COLUMN b DEFAULT 7: the old row reads 7 for b.
        s(
            "after_addcol",
            "UPDATE",
            format!("UPDATE public.t1 SET a = 'uno'::text WHERE id {eq} '1'::integer;"),
            format!("UPDATE public.t1 SET a = 'one'::text WHERE id {eq} '1'::integer;"),
            true,
        ),
        s(
            "after_addcol",
            "INSERT",
            "INSERT INTO public.t1 (id, a, b) VALUES ('3'::integer, 'three'::text, '9'::integer);"
                .into(),
            format!("DELETE FROM public.t1 WHERE id {eq} '3'::integer;"),
            true,
        ),
        // After DROP COLUMN a: a is no longer written.
        s(
            "after_dropcol",
            "UPDATE",
            format!("UPDATE public.t1 SET b = '10'::integer WHERE id {eq} '2'::integer;"),
            format!("UPDATE public.t1 SET b = '7'::integer WHERE id {eq} '2'::integer;"),
            true,
        ),
        // After RENAME COLUMN b TO bee.
        s(
            "after_renamecol",
            "DELETE",
            format!("DELETE FROM public.t1 WHERE id {eq} '3'::integer;"),
            "INSERT INTO public.t1 (id, bee) VALUES ('3'::integer, '9'::integer);".into(),
            true,
        ),
        // After ALTER COLUMN bee TYPE int8 (a rewrite: the copy's inserts
        // are no rows), in the new file.
        s(
            "after_retype",
            "UPDATE",
            format!("UPDATE public.t1 SET bee = '11'::bigint WHERE id {eq} '1'::integer;"),
            format!("UPDATE public.t1 SET bee = '7'::bigint WHERE id {eq} '1'::integer;"),
            true,
        ),
        // After VACUUM FULL, in yet another file.
        s(
            "after_vacfull",
            "UPDATE",
            format!("UPDATE public.t1 SET bee = '12'::bigint WHERE id {eq} '2'::integer;"),
            format!("UPDATE public.t1 SET bee = '10'::bigint WHERE id {eq} '2'::integer;"),
            true,
        ),
        // After TRUNCATE, in the same transaction.
        s(
            "truncate",
            "INSERT",
            "INSERT INTO public.t1 (id, bee) VALUES ('5'::integer, '50'::bigint);".into(),
            format!("DELETE FROM public.t1 WHERE id {eq} '5'::integer;"),
            true,
        ),
        // Renamed in the same transaction.
        s(
            "renametab",
            "UPDATE",
            format!("UPDATE public.t1_renamed SET bee = '51'::bigint WHERE id {eq} '5'::integer;"),
            format!("UPDATE public.t1_renamed SET bee = '50'::bigint WHERE id {eq} '5'::integer;"),
            true,
        ),
        // A table (and schema) from before the range, dropped in it.
        s(
            "old",
            "UPDATE",
            format!("UPDATE \"Old Schema\".old_t SET v = 'changed'::text WHERE id {eq} '1'::integer;"),
            format!("UPDATE \"Old Schema\".old_t SET v = 'old 1'::text WHERE id {eq} '1'::integer;"),
            true,
        ),
        s(
            "old",
            "DELETE",
            format!("DELETE FROM \"Old Schema\".old_t WHERE id {eq} '2'::integer;"),
            "INSERT INTO \"Old Schema\".old_t (id, v, n) VALUES ('2'::integer, 'old 2'::text, '200'::bigint);"
                .into(),
            true,
        ),
        s(
            "keep",
            "UPDATE",
            format!("UPDATE public.keep_t SET v = 'kept'::text WHERE id {eq} '1'::integer;"),
            format!("UPDATE public.keep_t SET v = 'keep 1'::text WHERE id {eq} '1'::integer;"),
            false,
        ),
    ];
    assert_eq!(got, want);
    assert!(rows
        .iter()
        .filter(|r| r.relation.as_ref().is_some_and(|rel| rel.gone))
        .all(|r| r.info.as_deref().is_some_and(|i| i.contains("no longer exists"))));
    assert_eq!(m.relations.history().unreadable(), 0);
}

#[test]
fn ddl_and_truncate_rows_come_from_the_catalog_changes() {
    let dir = ddl_fixture();
    let x = read_xids(&dir);
    let options = Options { page_cache_bytes: 1 << 20, ..Options::default() };
    let range = (fixture_start(&dir), Lsn(u64::MAX));
    let rows = all(&mut miner_of(&dir, range, Filters::default(), options));
    let got: Vec<_> = rows
        .iter()
        .filter(|r| matches!(r.op, Op::Ddl | Op::Truncate))
        .map(|r| (r.xid, r.op.as_str(), r.redo.as_deref(), r.undo.as_deref(), r.complete))
        .collect();
    let t1 = "public.t1";
    let want = vec![
        (
            x["create"],
            "DDL",
            Some(format!("CREATE TABLE {t1} (id integer NOT NULL, a pg_catalog.text);")),
            Some(format!("DROP TABLE {t1};")),
            true,
        ),
        (
            x["create"],
            "DDL",
            Some(format!("ALTER TABLE {t1} ADD CONSTRAINT t1_pkey PRIMARY KEY (id);")),
            Some(format!("ALTER TABLE {t1} DROP CONSTRAINT t1_pkey;")),
            true,
        ),
        // The default expression is not in the catalogs followed: the
        // value older rows read is, so the redo gives them that value.
        (
            x["addcol"],
            "DDL",
            Some(format!("ALTER TABLE {t1} ADD COLUMN b integer DEFAULT '7'::integer;")),
            Some(format!("ALTER TABLE {t1} DROP COLUMN b;")),
            false,
        ),
        (x["dropcol"], "DDL", Some(format!("ALTER TABLE {t1} DROP COLUMN a;")), None, false),
        (
            x["renamecol"],
            "DDL",
            Some(format!("ALTER TABLE {t1} RENAME COLUMN b TO bee;")),
            Some(format!("ALTER TABLE {t1} RENAME COLUMN bee TO b;")),
            true,
        ),
        (
            x["retype"],
            "DDL",
            Some(format!("ALTER TABLE {t1} ALTER COLUMN bee TYPE bigint;")),
            None,
            false,
        ),
        // VACUUM FULL: a new file through a transient table, no row.
        (x["truncate"], "TRUNCATE", Some(format!("TRUNCATE ONLY {t1};")), None, false),
        (
            x["renametab"],
            "DDL",
            Some(format!("ALTER TABLE {t1} RENAME TO t1_renamed;")),
            Some("ALTER TABLE public.t1_renamed RENAME TO t1;".into()),
            true,
        ),
        // Their indexes go with them: no rows of their own.
        (x["drop"], "DDL", Some("DROP TABLE \"Old Schema\".old_t;".into()), None, false),
        (x["drop"], "DDL", Some("DROP TABLE public.t1_renamed;".into()), None, false),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(x, op, redo, undo, c)| (*x, *op, redo.as_deref(), undo.as_deref(), *c))
        .collect();
    assert_eq!(got, want);
    // Every incomplete one says why.
    assert!(rows.iter().all(|r| r.complete || r.info.is_some()));
    // DDL rows sit where the catalog changed: the CREATE before the
    // table's first INSERT, the TRUNCATE before the INSERT after it.
    let pos = |op: Op, xid: u32| rows.iter().position(|r| r.op == op && r.xid == xid).unwrap();
    assert!(pos(Op::Ddl, x["create"]) < pos(Op::Insert, x["create"]));
    assert!(pos(Op::Truncate, x["truncate"]) < pos(Op::Insert, x["truncate"]));
}

/// Mines the `pg15-reuse` fixture up to `end`, reading on to `wal_end`
/// for catalog changes when needed.
fn mine_reuse(end: Lsn, wal_end: Lsn) -> (HashMap<String, u32>, Vec<MinedRow>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pg15-reuse");
    let x = read_xids(&dir);
    let options = Options { page_cache_bytes: 1 << 20, wal_end, ..Options::default() };
    let range = (fixture_start(&dir), end);
    (x, all(&mut miner_of(&dir, range, Filters::default(), options)))
}

#[test]
fn a_file_number_used_again_is_told_apart_by_lsn() {
    let (x, rows) = mine_reuse(Lsn(u64::MAX), Lsn::INVALID);
    let got: Vec<_> = rows
        .iter()
        .filter(|r| r.xid != x["fixture_xids"])
        .map(|r| {
            let rel = r.relation.as_ref().unwrap();
            (r.xid, r.op.as_str(), rel.name.to_string(), rel.gone, r.complete)
        })
        .collect();
    let row = |label: &str, op: &'static str, rel: &str, complete: bool| {
        (x[label], op, rel.to_string(), rel == "reuse_a", complete)
    };
    // Both tables' rows were in file 60000; the live catalog knows only
    // reuse_b. The WAL's catalog history names each row's table by LSN.
    assert_eq!(
        got,
        vec![
            row("a_changes", "UPDATE", "reuse_a", true),
            row("a_changes", "DELETE", "reuse_a", true),
            row("a_changes", "INSERT", "reuse_a", true),
            row("a_drop", "DDL", "reuse_a", false),
            row("b_create", "DDL", "reuse_b", true),
            row("b_create", "INSERT", "reuse_b", true),
            row("b_create", "INSERT", "reuse_b", true),
            row("b_changes", "UPDATE", "reuse_b", true),
            row("b_changes", "DELETE", "reuse_b", true),
        ]
    );
    // With reuse_a's columns (int4, text), not reuse_b's (int8, bool, text).
    assert_eq!(
        rows[2].redo.as_deref(),
        Some("INSERT INTO public.reuse_a (id, v) VALUES ('4'::integer, 'a 4'::text);")
    );
    assert_eq!(
        rows[4].redo.as_deref(),
        Some("CREATE TABLE public.reuse_b (k bigint, flag boolean, w pg_catalog.text);")
    );
}

#[test]
fn a_range_ending_before_a_drop_reads_on_for_the_catalog() {
    // Up to the DROP: within the range nothing says what file 60000 was,
    // and the live catalog names the table that took it over later.
    let (x, every) = mine_reuse(Lsn(u64::MAX), Lsn::INVALID);
    let drop = every.iter().find(|r| r.xid == x["a_drop"]).unwrap().lsn;
    let (_, rows) = mine_reuse(drop, Lsn(u64::MAX));
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.xid, r.op, r.relation.as_ref().unwrap().name.to_string(), r.complete))
        .collect();
    let a = |op| (x["a_changes"], op, "reuse_a".to_string(), true);
    assert_eq!(got, vec![a(Op::Update), a(Op::Delete), a(Op::Insert)]);
    assert_eq!(rows, every[..3]);
}

/// Mines the pg15-mixed fixture over `[start, end)` with `filters`.
fn mine_range(start: Lsn, end: Lsn, filters: Filters) -> (Vec<MinedRow>, Vec<(u32, Lsn)>) {
    let mut m = miner_of(&fixture(), (start, end), filters, Options::default());
    let rows = all(&mut m);
    (rows, m.open_transactions())
}

#[test]
fn consecutive_captures_by_commit_position_return_every_row_once() {
    let (start, _, _) = range();
    let every = all(&mut miner(start, Filters::default(), 1 << 20));
    let key = |r: &MinedRow| (r.lsn, r.item);
    // Cut the range at every row's LSN in turn: the first capture takes
    // what committed before the cut, the second resumes at the oldest
    // transaction still open at the cut and takes what committed after.
    for cut in every.iter().map(|r| r.lsn).step_by(3) {
        let (first, open) = mine_range(start, cut, Filters::default());
        let resume = open.iter().map(|&(_, l)| l).min().unwrap_or(cut).min(cut);
        let f = Filters { committed_from: Some(cut), ..Filters::default() };
        let (second, _) = mine_range(resume, Lsn(u64::MAX), f);
        let mut got: Vec<_> = first.iter().chain(&second).map(key).collect();
        got.sort_unstable();
        let mut want: Vec<_> = every.iter().map(key).collect();
        want.sort_unstable();
        assert_eq!(got, want, "cut at {cut}");
    }
}
