//! The corpus (real WAL and what a clean replay of it yields) and the
//! making of inputs from it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use waldecode::heap::toast::ToastPointer;
use waldecode::heap::tuple::{deform, AttrDesc, Datum};
use waldecode::heap::{self, PageStore};
use waldecode::image::{Compression, ImageInfo};
use waldecode::layout::BLCKSZ;
use waldecode::mine::toast::Chunk;
use waldecode::record::Decoded;
use waldecode::segment::SegmentName;
use waldecode::source::MemSource;
use waldecode::{Lsn, PgVersion, Record, WalReader};

use super::fixtures_dir;
use super::input::{Input, Target};
use super::mutate::{mutate, Rng};

// ---------------------------------------------------------------------------
// The corpus.

/// A record of a seed, as the reader handed it out.
#[derive(Debug, Clone)]
pub struct SeedRecord {
    pub lsn: Lsn,
    pub version: PgVersion,
    pub bytes: Vec<u8>,
}

/// One seed's WAL.
pub struct Seed {
    pub name: String,
    /// The segments, zero-padded to the segment size.
    pub source: MemSource,
    pub records: Vec<SeedRecord>,
    /// Column layouts by relfilenode, from the seed's catalog.tsv.
    pub rels: HashMap<u32, Vec<AttrDesc>>,
}

/// A TOAST value's chunks: (chunk_seq, chunk_data).
pub type Chunks = Vec<(i32, Vec<u8>)>;

/// Everything inputs are made from.
pub struct Corpus {
    pub seeds: Vec<Seed>,
    pub images: Vec<(ImageInfo, Vec<u8>)>,
    pub tuples: Vec<(Vec<AttrDesc>, Vec<u8>)>,
    pub toast: Vec<(Vec<u8>, Chunks)>,
    pub inline: Vec<Vec<u8>>,
}

fn read_rels(path: &Path) -> HashMap<u32, Vec<AttrDesc>> {
    let mut rels: HashMap<u32, Vec<AttrDesc>> = HashMap::new();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        // att relfilenode attnum attname atttypid atttypmod attlen attalign attbyval attisdropped ...
        if f.len() < 10 || f[0] != "att" {
            continue;
        }
        let (Ok(rel), Ok(attlen)) = (f[1].parse::<u32>(), f[6].parse::<i16>()) else { continue };
        rels.entry(rel).or_default().push(AttrDesc {
            attlen,
            attalign: f[7].bytes().next().unwrap_or(b'c'),
            attbyval: f[8] == "t",
            dropped: f[9] == "t",
        });
    }
    rels
}

/// Reads one seed: the segment files of `dir/wal` and `dir/catalog.tsv`.
fn load_seed(name: &str, dir: &Path) -> Option<Seed> {
    let mut segments = BTreeMap::new();
    let mut seg_size = 0u32;
    let mut files: Vec<_> =
        std::fs::read_dir(dir.join("wal")).ok()?.flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files {
        let mut bytes = std::fs::read(&path).ok()?;
        let size = u32::from_le_bytes(bytes.get(32..36)?.try_into().ok()?);
        seg_size = size;
        let segno = SegmentName::parse(path.file_name()?.to_str()?, size)?.segno;
        bytes.resize(size as usize, 0);
        segments.insert(segno, bytes);
    }
    let source = MemSource { seg_size, segments };
    let mut records = Vec::new();
    let first = Lsn::from_segment(*source.segments.keys().next()?, seg_size);
    let mut r = WalReader::new(source.clone());
    if r.seek(first).is_ok() {
        while let Ok(Some(rec)) = r.next_record() {
            records.push(SeedRecord {
                lsn: rec.lsn(),
                version: rec.version(),
                bytes: rec.raw().to_vec(),
            });
        }
    }
    Some(Seed {
        name: name.to_string(),
        source,
        records,
        rels: read_rels(&dir.join("catalog.tsv")),
    })
}

impl Corpus {
    /// The fixtures' WAL, and what a clean replay of it yields: images,
    /// row versions, TOAST chunks and pointers, inline compressed values.
    pub fn load() -> Corpus {
        let fx = fixtures_dir();
        let mut seeds = Vec::new();
        seeds.extend(load_seed("pg15-mixed", &fx.join("pg15-mixed")));
        let mut names: Vec<_> = std::fs::read_dir(fx.join("fuzz/seeds"))
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        for n in names {
            seeds.extend(load_seed(&n, &fx.join("fuzz/seeds").join(&n)));
        }
        assert!(!seeds.is_empty() && seeds.iter().all(|s| !s.records.is_empty()), "no seed WAL");
        let mut c = Corpus {
            seeds,
            images: Vec::new(),
            tuples: Vec::new(),
            toast: Vec::new(),
            inline: Vec::new(),
        };
        c.harvest();
        c
    }

    fn harvest(&mut self) {
        let mut chunks: HashMap<u32, Vec<(i32, Vec<u8>)>> = HashMap::new();
        let mut pointers: Vec<Vec<u8>> = Vec::new();
        for seed in &self.seeds {
            let mut store = PageStore::new(64 << 20);
            for r in &seed.records {
                let mut d = Decoded::default();
                if d.decode(&r.bytes, r.lsn, r.version).is_err() {
                    continue;
                }
                let rec = Record::new(r.lsn, r.lsn, &r.bytes, &d, r.version);
                for b in rec.blocks() {
                    if let Some(img) = &b.image {
                        if self.images.len() < 400 {
                            self.images.push((img.clone(), r.bytes[img.bytes.clone()].to_vec()));
                        }
                    }
                }
                let Ok(changes) = heap::apply(&rec, &mut store, &mut heap::no_live_tuples) else {
                    continue;
                };
                for ch in changes {
                    let Some(attrs) = seed.rels.get(&ch.locator.rel) else { continue };
                    for t in [&ch.old_tuple, &ch.new_tuple].into_iter().flatten() {
                        if ch.on_toast_relation {
                            if let Some(c) = Chunk::parse(t) {
                                chunks
                                    .entry(c.value_id)
                                    .or_default()
                                    .push((c.seq, c.data.to_vec()));
                            }
                        }
                        if let Ok(values) = deform(t, attrs) {
                            for v in values {
                                match v {
                                    Datum::External(p) => pointers.push(p.to_vec()),
                                    Datum::Varlena(v)
                                        if v.first().is_some_and(|b| b & 0x03 == 0x02) =>
                                    {
                                        self.inline.push(v.to_vec())
                                    }
                                    _ => {}
                                }
                            }
                        }
                        self.tuples.push((attrs.clone(), t.clone()));
                    }
                }
            }
        }
        for p in pointers {
            if let Some(ptr) = ToastPointer::parse(&p) {
                let c = chunks.get(&ptr.valueid).cloned().unwrap_or_default();
                self.toast.push((p, c));
            }
        }
    }

    /// Column layouts of a seed's relations, as a redo input carries them.
    fn rels_of(&self, seed: usize) -> Vec<(u32, Vec<AttrDesc>)> {
        let mut v: Vec<_> = self.seeds[seed].rels.iter().map(|(k, a)| (*k, a.clone())).collect();
        v.sort_by_key(|(k, _)| *k);
        v
    }
}

// ---------------------------------------------------------------------------
// Making inputs.

fn version_code(v: PgVersion) -> u16 {
    v.page_magic()
}

fn any_version(rng: &mut Rng) -> PgVersion {
    *rng.pick(&[PgVersion::V14, PgVersion::V15, PgVersion::V16, PgVersion::V17, PgVersion::V18])
}

fn compression_code(c: Compression) -> u8 {
    match c {
        Compression::None => 0,
        Compression::Pglz => 1,
        Compression::Lz4 => 2,
        Compression::Zstd => 3,
    }
}

pub fn compression_of(code: u8) -> Compression {
    match code % 4 {
        1 => Compression::Pglz,
        2 => Compression::Lz4,
        3 => Compression::Zstd,
        _ => Compression::None,
    }
}

/// Where in a record to mutate: its header and block headers, its main
/// data, one block's data, one image, or anywhere (the parts as the clean
/// record decodes).
fn region(rng: &mut Rng, r: &SeedRecord) -> std::ops::Range<usize> {
    let all = 0..r.bytes.len();
    let mut d = Decoded::default();
    if d.decode(&r.bytes, r.lsn, r.version).is_err() {
        return all;
    }
    let headers_end = d
        .blocks
        .iter()
        .flat_map(|b| b.image.as_ref().map(|i| i.bytes.start).into_iter().chain([b.data.start]))
        .chain([d.main_data.start])
        .min()
        .unwrap_or(r.bytes.len());
    match rng.below(5) {
        0 => 0..headers_end,
        1 if !d.main_data.is_empty() => d.main_data.clone(),
        2 if !d.blocks.is_empty() => {
            let b = &d.blocks[rng.below(d.blocks.len())];
            if b.data.is_empty() {
                all
            } else {
                b.data.clone()
            }
        }
        3 => d.blocks.iter().find_map(|b| b.image.as_ref().map(|i| i.bytes.clone())).unwrap_or(all),
        _ => all,
    }
}

impl Corpus {
    /// A new input for `target`.
    pub fn generate(&self, target: Target, rng: &mut Rng) -> Input {
        match target {
            Target::Reader => {
                let s = rng.below(self.seeds.len());
                let seed = &self.seeds[s];
                let seg = u64::from(seed.source.seg_size);
                let (&segno, bytes) =
                    seed.source.segments.iter().nth(rng.below(seed.source.segments.len())).unwrap();
                // Damage where the records are, mostly.
                let used = seed
                    .records
                    .iter()
                    .filter(|r| r.lsn.segment(seed.source.seg_size) == segno)
                    .map(|r| r.lsn.0 % seg)
                    .max()
                    .unwrap_or(0) as usize
                    + 16384;
                let page = rng.below(used.min(bytes.len()) / 8192 + 1) * 8192;
                let len = 8192 * (1 + rng.below(3));
                let at = page.min(bytes.len() - len.min(bytes.len()));
                let mut window = bytes[at..at + len.min(bytes.len() - at)].to_vec();
                let hot = if rng.one_in(2) { 0..64.min(window.len()) } else { 0..window.len() };
                mutate(rng, &mut window, hot, false);
                let truncate = rng.one_in(16).then(|| (at + rng.below(window.len())) as u64);
                // Start at a record before the damage, or anywhere.
                let base = Lsn::from_segment(segno, seed.source.seg_size).0;
                let before: Vec<u64> = seed
                    .records
                    .iter()
                    .map(|r| r.lsn.0)
                    .filter(|l| *l >= base && *l <= base + at as u64 + 100)
                    .collect();
                let start = if !before.is_empty() && !rng.one_in(4) {
                    before[before.len().saturating_sub(1 + rng.below(4)).min(before.len() - 1)]
                } else {
                    base + rng.below(at + window.len()) as u64
                };
                Input::Reader { seed: seed.name.clone(), at: at as u64, window, truncate, start }
            }
            Target::Record => {
                let seed = rng.pick(&self.seeds);
                let r = rng.pick(&seed.records);
                let mut bytes = r.bytes.clone();
                let window = region(rng, r);
                let resize = rng.one_in(4);
                mutate(rng, &mut bytes, window, resize);
                if rng.one_in(2) && bytes.len() >= 4 {
                    // Keep xl_tot_len true to the bytes, so decoding goes on.
                    let n = bytes.len() as u32;
                    bytes[..4].copy_from_slice(&n.to_le_bytes());
                }
                let version = if rng.one_in(5) { any_version(rng) } else { r.version };
                Input::Record { version: version_code(version), lsn: r.lsn.0, bytes }
            }
            Target::Image => {
                let (info, stored) = rng.pick(&self.images);
                let mut stored = stored.clone();
                let (mut off, mut len, mut comp) =
                    (info.hole_offset, info.hole_length, compression_code(info.compression));
                match rng.below(8) {
                    0 => off = rng.next() as u16 % (BLCKSZ as u16 + 16),
                    1 => len = rng.next() as u16 % (BLCKSZ as u16 + 16),
                    2 => comp = rng.below(4) as u8,
                    _ => {
                        let all = 0..stored.len();
                        let resize = rng.one_in(3);
                        mutate(rng, &mut stored, all, resize);
                    }
                }
                Input::Image { hole_offset: off, hole_length: len, compression: comp, stored }
            }
            Target::Redo => {
                let s = rng.below(self.seeds.len());
                let seed = &self.seeds[s];
                let n = seed.records.len();
                let from = if rng.one_in(2) { 0 } else { rng.below(n) };
                let to = (from + 1 + rng.below(200)).min(n);
                let mut records: Vec<(u64, Vec<u8>)> =
                    seed.records[from..to].iter().map(|r| (r.lsn.0, r.bytes.clone())).collect();
                // Heap records most often, where redo does its work.
                let heapish: Vec<usize> = (from..to)
                    .filter(|&i| matches!(seed.records[i].bytes.get(17), Some(9 | 10)))
                    .collect();
                for _ in 0..1 + rng.below(3) {
                    let i = if !heapish.is_empty() && !rng.one_in(4) {
                        *rng.pick(&heapish)
                    } else {
                        from + rng.below(to - from)
                    };
                    let window = region(rng, &seed.records[i]);
                    mutate(rng, &mut records[i - from].1, window, false);
                }
                Input::Redo {
                    version: version_code(seed.records[0].version),
                    records,
                    rels: self.rels_of(s),
                }
            }
            Target::Tuple => {
                let (attrs, tuple) = rng.pick(&self.tuples);
                let (mut attrs, mut tuple) = (attrs.clone(), tuple.clone());
                if rng.one_in(3) && !attrs.is_empty() {
                    let k = rng.below(attrs.len());
                    match rng.below(5) {
                        0 => {
                            attrs[k].attlen =
                                *rng.pick(&[-2, -1, 0, 1, 2, 3, 4, 8, 16, 64, 1000, i16::MAX])
                        }
                        1 => attrs[k].attalign = *rng.pick(b"csidx"),
                        2 => attrs[k].attbyval = !attrs[k].attbyval,
                        3 => {
                            attrs.remove(k);
                        }
                        _ => attrs.push(attrs[k]),
                    }
                } else {
                    let all = 0..tuple.len();
                    let resize = rng.one_in(3);
                    mutate(rng, &mut tuple, all, resize);
                }
                Input::Tuple { attrs, tuple }
            }
            Target::Toast => {
                if self.toast.is_empty() || rng.one_in(3) {
                    let mut bytes = if self.inline.is_empty() {
                        vec![0x02; 8]
                    } else {
                        rng.pick(&self.inline).clone()
                    };
                    let all = 0..bytes.len();
                    let head = 0..bytes.len().min(8);
                    let window = if rng.one_in(2) { head } else { all };
                    let resize = rng.one_in(3);
                    mutate(rng, &mut bytes, window, resize);
                    return Input::Toast { pointer: bytes, chunks: Vec::new() };
                }
                let (p, c) = rng.pick(&self.toast);
                let (mut pointer, mut chunks) = (p.clone(), c.clone());
                match rng.below(6) {
                    0 => {
                        let all = 2..pointer.len();
                        mutate(rng, &mut pointer, all, false);
                    }
                    1 if !chunks.is_empty() => {
                        let k = rng.below(chunks.len());
                        chunks[k].0 = *rng.pick(&[-1, 0, 1, 2, i32::MAX, chunks[k].0 + 1]);
                    }
                    2 if !chunks.is_empty() => {
                        let k = rng.below(chunks.len());
                        if rng.one_in(2) {
                            chunks.remove(k);
                        } else {
                            let dup = chunks[k].clone();
                            chunks.push(dup);
                        }
                    }
                    _ if !chunks.is_empty() => {
                        let k = rng.below(chunks.len());
                        let all = 0..chunks[k].1.len();
                        let resize = rng.one_in(2);
                        mutate(rng, &mut chunks[k].1, all, resize);
                    }
                    _ => {}
                }
                Input::Toast { pointer, chunks }
            }
        }
    }
}
