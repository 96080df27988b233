//! The decoder's one error type. Every variant names the LSN it concerns;
//! "the WAL ends here" is kept apart from "the WAL is damaged here" so callers
//! can treat a clean end of a directory differently from corruption.

use crate::lsn::Lsn;

/// Errors from reading and decoding WAL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// No further valid WAL at `lsn`: a zero-filled page or record, a page
    /// left over from a recycled segment, or no later segment. The normal way
    /// a stream ends.
    #[error("end of WAL at {lsn}: {reason}")]
    EndOfWal { lsn: Lsn, reason: String },
    /// The bytes at `lsn` are not a valid record: bad CRC, impossible
    /// header, inconsistent block references.
    #[error("invalid WAL record at {lsn}: {reason}")]
    Corrupt { lsn: Lsn, reason: String },
    /// A segment needed to read `lsn` is not there although later ones are.
    #[error("WAL segment {segment} is missing (needed to read {lsn})")]
    MissingSegment { lsn: Lsn, segment: String },
    /// A segment was removed or recycled (by a checkpoint) while the WAL was
    /// being read.
    #[error("WAL segment {segment} was removed while it was being read (at {lsn})")]
    Removed { lsn: Lsn, segment: String },
    /// The operating system failed to read a segment file.
    #[error("could not read WAL segment {segment} at {lsn}: {source}")]
    Io {
        lsn: Lsn,
        segment: String,
        #[source]
        source: std::io::Error,
    },
    /// A full-page image could not be restored (decompression failed).
    #[error("could not restore image of block {block_id} in WAL record at {lsn}: {reason}")]
    Image { lsn: Lsn, block_id: u8, reason: String },
    /// The range holds more transactions than the miner may keep track of.
    #[error("more than {limit} transactions by {lsn}")]
    TooManyTransactions { lsn: Lsn, limit: usize },
}

impl WalError {
    /// The LSN the error concerns.
    pub fn lsn(&self) -> Lsn {
        match self {
            WalError::EndOfWal { lsn, .. }
            | WalError::Corrupt { lsn, .. }
            | WalError::MissingSegment { lsn, .. }
            | WalError::Removed { lsn, .. }
            | WalError::Io { lsn, .. }
            | WalError::Image { lsn, .. }
            | WalError::TooManyTransactions { lsn, .. } => *lsn,
        }
    }

    pub(crate) fn corrupt(lsn: Lsn, reason: impl Into<String>) -> WalError {
        WalError::Corrupt { lsn, reason: reason.into() }
    }

    /// A record whose headers run past its end, in `DecodeXLogRecord`'s
    /// words.
    pub(crate) fn invalid_length(lsn: Lsn) -> WalError {
        WalError::corrupt(lsn, format!("record with invalid length at {lsn}"))
    }
}

/// Turns a bounds-checked read that came up short into the error of the
/// record being decoded.
pub(crate) trait OrShort<T> {
    fn or_short(self, lsn: Lsn) -> Result<T>;
}

impl<T> OrShort<T> for Option<T> {
    #[inline]
    fn or_short(self, lsn: Lsn) -> Result<T> {
        self.ok_or_else(|| WalError::invalid_length(lsn))
    }
}

pub type Result<T, E = WalError> = std::result::Result<T, E>;
