//! Per resource manager and per record type counts and sizes, as
//! `XLogRecStoreStats` (xlogstats.c) collects them and pg_walinspect's
//! `GetXLogSummaryStats` reports them.

use crate::describe;
use crate::record::Record;
use crate::rmgr::{RM_MAX_BUILTIN_ID, RM_XACT_ID};
use crate::version::PgVersion;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub count: u64,
    pub rec_len: u64,
    pub fpi_len: u64,
}

impl Counts {
    fn merge(&mut self, o: &Counts) {
        self.count += o.count;
        self.rec_len += o.rec_len;
        self.fpi_len += o.fpi_len;
    }

    fn add(&mut self, rec_len: u64, fpi_len: u64) {
        self.count += 1;
        self.rec_len += rec_len;
        self.fpi_len += fpi_len;
    }
}

/// Running totals over a range of records.
#[derive(Debug, Clone)]
pub struct WalStats {
    rmgr: Vec<Counts>,
    record: Vec<[Counts; 16]>,
    version: Option<PgVersion>,
}

impl Default for WalStats {
    fn default() -> Self {
        WalStats {
            rmgr: vec![Counts::default(); 256],
            record: vec![[Counts::default(); 16]; 256],
            version: None,
        }
    }
}

/// One output row: name and counts, with percentages of the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRow {
    pub name: String,
    pub count: u64,
    pub count_pct: f64,
    pub rec_len: u64,
    pub rec_len_pct: f64,
    pub fpi_len: u64,
    pub fpi_len_pct: f64,
    pub combined: u64,
    pub combined_pct: f64,
}

fn pct(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * n as f64 / total as f64
    }
}

impl WalStats {
    /// Port of `XLogRecStoreStats`.
    pub fn add(&mut self, rec: &Record<'_>) {
        self.version.get_or_insert(rec.version());
        let fpi = u64::from(rec.fpi_len());
        let rec_len = u64::from(rec.total_len()) - fpi;
        let rmid = usize::from(rec.rmid());
        self.rmgr[rmid].add(rec_len, fpi);
        let mut recid = usize::from(rec.info() >> 4);
        // XACT keeps a flag in the top bit of its four.
        if rec.rmid() == RM_XACT_ID {
            recid &= 0x07;
        }
        self.record[rmid][recid].add(rec_len, fpi);
    }

    /// Adds the totals of `other`.
    pub fn merge(&mut self, other: WalStats) {
        for (a, b) in self.rmgr.iter_mut().zip(&other.rmgr) {
            a.merge(b);
        }
        for (a, b) in self.record.iter_mut().zip(&other.record) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        if self.version.is_none() {
            self.version = other.version;
        }
    }

    pub fn total_count(&self) -> u64 {
        self.rmgr.iter().map(|c| c.count).sum()
    }

    /// The rows of `GetXLogSummaryStats`: one per built-in resource manager
    /// (and per custom one seen), or one per record type that occurred.
    pub fn rows(&self, per_record: bool) -> Vec<StatsRow> {
        let total_count = self.total_count();
        let total_rec: u64 = self.rmgr.iter().map(|c| c.rec_len).sum();
        let total_fpi: u64 = self.rmgr.iter().map(|c| c.fpi_len).sum();
        let total = total_rec + total_fpi;
        let row = |name: String, c: &Counts| StatsRow {
            name,
            count: c.count,
            count_pct: pct(c.count, total_count),
            rec_len: c.rec_len,
            rec_len_pct: pct(c.rec_len, total_rec),
            fpi_len: c.fpi_len,
            fpi_len_pct: pct(c.fpi_len, total_fpi),
            combined: c.rec_len + c.fpi_len,
            combined_pct: pct(c.rec_len + c.fpi_len, total),
        };
        let mut out = Vec::new();
        for rmid in 0..=255u8 {
            let builtin = rmid <= RM_MAX_BUILTIN_ID;
            if !builtin && self.rmgr[usize::from(rmid)].count == 0 {
                continue;
            }
            let name = describe::rmgr_name(rmid);
            if per_record {
                for (recid, c) in self.record[usize::from(rmid)].iter().enumerate() {
                    // A counted record set the version: record types are
                    // named as that major names them, never guessed.
                    let Some(version) = self.version.filter(|_| c.count > 0) else {
                        continue;
                    };
                    let ty = describe::record_type_of(version, rmid, (recid as u8) << 4);
                    out.push(row(format!("{name}/{ty}"), c));
                }
            } else {
                out.push(row(name.into_owned(), &self.rmgr[usize::from(rmid)]));
            }
        }
        out
    }
}

impl crate::parallel::Accumulate for WalStats {
    fn add(&mut self, rec: &Record<'_>) {
        WalStats::add(self, rec);
    }

    fn merge(&mut self, later: WalStats) {
        WalStats::merge(self, later);
    }
}
