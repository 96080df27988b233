//! Fuzz inputs: what each target is given, enough to run it again, and
//! the file format failing inputs are kept in.

use std::fmt;

use waldecode::heap::tuple::AttrDesc;

/// The stages fuzzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Reader,
    Record,
    Image,
    Redo,
    Tuple,
    Toast,
}

impl Target {
    pub const ALL: [Target; 6] =
        [Target::Reader, Target::Record, Target::Image, Target::Redo, Target::Tuple, Target::Toast];

    pub fn name(self) -> &'static str {
        match self {
            Target::Reader => "reader",
            Target::Record => "record",
            Target::Image => "image",
            Target::Redo => "redo",
            Target::Tuple => "tuple",
            Target::Toast => "toast",
        }
    }

    pub fn from_name(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// A fuzz input, enough to run it again (and to keep it as a file).
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The segments of seed `seed` with `window` written at byte `at` of
    /// the segment holding `start` (cut at `truncate` when set), read from
    /// `start` for at most 64 records.
    Reader {
        seed: String,
        at: u64,
        window: Vec<u8>,
        truncate: Option<u64>,
        start: u64,
    },
    /// One record's bytes, decoded as `version`'s at `lsn`.
    Record {
        version: u16,
        lsn: u64,
        bytes: Vec<u8>,
    },
    /// A stored image and its header fields.
    Image {
        hole_offset: u16,
        hole_length: u16,
        compression: u8,
        stored: Vec<u8>,
    },
    /// Records applied in order to an empty page store; row versions
    /// deformed with the descriptors of their relation.
    Redo {
        version: u16,
        records: Vec<(u64, Vec<u8>)>,
        rels: Vec<(u32, Vec<AttrDesc>)>,
    },
    Tuple {
        attrs: Vec<AttrDesc>,
        tuple: Vec<u8>,
    },
    /// A TOAST pointer (as stored) and chunks, or with no chunks an inline
    /// (possibly compressed) varlena.
    Toast {
        pointer: Vec<u8>,
        chunks: Vec<(i32, Vec<u8>)>,
    },
}

impl Input {
    pub fn target(&self) -> Target {
        match self {
            Input::Reader { .. } => Target::Reader,
            Input::Record { .. } => Target::Record,
            Input::Image { .. } => Target::Image,
            Input::Redo { .. } => Target::Redo,
            Input::Tuple { .. } => Target::Tuple,
            Input::Toast { .. } => Target::Toast,
        }
    }
}

/// Why an input failed.
#[derive(Debug, Clone)]
pub struct Failure {
    pub input: Input,
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.input.target().name(), self.reason)
    }
}

// ---------------------------------------------------------------------------
// Files: a small tagged binary format, so failing inputs can be kept.

const FILE_MAGIC: &[u8; 8] = b"XLMFUZZ1";

struct Out(Vec<u8>);

impl Out {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
    fn attrs(&mut self, a: &[AttrDesc]) {
        self.u32(a.len() as u32);
        for d in a {
            self.u16(d.attlen as u16);
            self.u8(d.attalign);
            self.u8(u8::from(d.attbyval) | u8::from(d.dropped) << 1);
        }
    }
}

struct In<'a>(&'a [u8]);

impl In<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.u32()? as usize;
        Some(self.take(n)?.to_vec())
    }
    fn attrs(&mut self) -> Option<Vec<AttrDesc>> {
        let n = self.u32()? as usize;
        (0..n)
            .map(|_| {
                let attlen = self.u16()? as i16;
                let attalign = self.u8()?;
                let flags = self.u8()?;
                Some(AttrDesc {
                    attlen,
                    attalign,
                    attbyval: flags & 1 != 0,
                    dropped: flags & 2 != 0,
                })
            })
            .collect()
    }
}

impl Input {
    /// The input as a file's content.
    pub fn encode(&self) -> Vec<u8> {
        let mut o = Out(FILE_MAGIC.to_vec());
        match self {
            Input::Reader { seed, at, window, truncate, start } => {
                o.u8(0);
                o.bytes(seed.as_bytes());
                o.u64(*at);
                o.bytes(window);
                o.u64(truncate.map_or(u64::MAX, |t| t));
                o.u64(*start);
            }
            Input::Record { version, lsn, bytes } => {
                o.u8(1);
                o.u16(*version);
                o.u64(*lsn);
                o.bytes(bytes);
            }
            Input::Image { hole_offset, hole_length, compression, stored } => {
                o.u8(2);
                o.u16(*hole_offset);
                o.u16(*hole_length);
                o.u8(*compression);
                o.bytes(stored);
            }
            Input::Redo { version, records, rels } => {
                o.u8(3);
                o.u16(*version);
                o.u32(records.len() as u32);
                for (lsn, b) in records {
                    o.u64(*lsn);
                    o.bytes(b);
                }
                o.u32(rels.len() as u32);
                for (rel, a) in rels {
                    o.u32(*rel);
                    o.attrs(a);
                }
            }
            Input::Tuple { attrs, tuple } => {
                o.u8(4);
                o.attrs(attrs);
                o.bytes(tuple);
            }
            Input::Toast { pointer, chunks } => {
                o.u8(5);
                o.bytes(pointer);
                o.u32(chunks.len() as u32);
                for (seq, c) in chunks {
                    o.u32(*seq as u32);
                    o.bytes(c);
                }
            }
        }
        o.0
    }

    /// Reads a file written by [`Input::encode`].
    pub fn decode(b: &[u8]) -> Option<Input> {
        let mut i = In(b.strip_prefix(FILE_MAGIC.as_slice())?);
        let input = match i.u8()? {
            0 => Input::Reader {
                seed: String::from_utf8(i.bytes()?).ok()?,
                at: i.u64()?,
                window: i.bytes()?,
                truncate: Some(i.u64()?).filter(|t| *t != u64::MAX),
                start: i.u64()?,
            },
            1 => Input::Record { version: i.u16()?, lsn: i.u64()?, bytes: i.bytes()? },
            2 => Input::Image {
                hole_offset: i.u16()?,
                hole_length: i.u16()?,
                compression: i.u8()?,
                stored: i.bytes()?,
            },
            3 => {
                let version = i.u16()?;
                let n = i.u32()?;
                let records =
                    (0..n).map(|_| Some((i.u64()?, i.bytes()?))).collect::<Option<_>>()?;
                let n = i.u32()?;
                let rels = (0..n).map(|_| Some((i.u32()?, i.attrs()?))).collect::<Option<_>>()?;
                Input::Redo { version, records, rels }
            }
            4 => Input::Tuple { attrs: i.attrs()?, tuple: i.bytes()? },
            5 => {
                let pointer = i.bytes()?;
                let n = i.u32()?;
                let chunks =
                    (0..n).map(|_| Some((i.u32()? as i32, i.bytes()?))).collect::<Option<_>>()?;
                Input::Toast { pointer, chunks }
            }
            _ => return None,
        };
        i.0.is_empty().then_some(input)
    }

    /// A short name for the file: target and a hash of the content.
    pub fn file_name(&self) -> String {
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for b in self.encode() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
        format!("{}-{h:016x}.bin", self.target().name())
    }
}
