//! The decoder's one byte layer: little-endian reads from byte slices that
//! never panic. Every read checks its bounds and returns `None` when the
//! input is too short, so truncated or garbage bytes from disk can never
//! bring the decoder down. Used by the reader, the record decoder, every
//! resource manager's parser and the heap code alike.

/// Reads little-endian integers from a byte slice, front to back.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    #[inline]
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    /// A cursor at byte `pos` of `data` (reads fail if `pos` is past the end).
    #[inline]
    pub fn at(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }

    /// The current offset from the start of the data.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left after the current offset.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes, advancing past them.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let b = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(b)
    }

    /// Skips `n` bytes; fails if fewer remain.
    #[inline]
    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(|_| ())
    }

    /// Moves to absolute offset `pos`; fails if it is past the end.
    #[inline]
    pub fn seek(&mut self, pos: usize) -> Option<()> {
        if pos > self.data.len() {
            return None;
        }
        self.pos = pos;
        Some(())
    }

    /// Advances to the next multiple of `align` (a power of two) from the
    /// start of the data; fails if that is past the end.
    #[inline]
    pub fn align(&mut self, align: usize) -> Option<()> {
        let p = align_up(self.pos, align)?;
        self.seek(p)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N)?.try_into().ok()
    }

    #[inline]
    pub fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(u8::from_le_bytes)
    }

    #[inline]
    pub fn i8(&mut self) -> Option<i8> {
        self.array::<1>().map(i8::from_le_bytes)
    }

    /// A C `bool`: any non-zero byte is true.
    #[inline]
    pub fn bool(&mut self) -> Option<bool> {
        self.u8().map(|b| b != 0)
    }

    #[inline]
    pub fn u16(&mut self) -> Option<u16> {
        self.array::<2>().map(u16::from_le_bytes)
    }

    #[inline]
    pub fn u32(&mut self) -> Option<u32> {
        self.array::<4>().map(u32::from_le_bytes)
    }

    #[inline]
    pub fn i32(&mut self) -> Option<i32> {
        self.array::<4>().map(i32::from_le_bytes)
    }

    #[inline]
    pub fn u64(&mut self) -> Option<u64> {
        self.array::<8>().map(u64::from_le_bytes)
    }

    #[inline]
    pub fn i64(&mut self) -> Option<i64> {
        self.array::<8>().map(i64::from_le_bytes)
    }

    #[inline]
    pub fn f64(&mut self) -> Option<f64> {
        self.array::<8>().map(f64::from_le_bytes)
    }

    /// A NUL-terminated string; advances past the NUL. Fails when no NUL
    /// is found before the end of the data.
    #[inline]
    pub fn cstr(&mut self) -> Option<&'a [u8]> {
        let rest = self.data.get(self.pos..)?;
        let n = rest.iter().position(|&b| b == 0)?;
        let s = rest.get(..n)?;
        self.pos = self.pos.checked_add(n + 1)?;
        Some(s)
    }

    /// A count stored as a C `int`: negative values fail, as does a count
    /// whose `elem_size`-byte elements cannot fit in the remaining data.
    #[inline]
    pub fn count(&mut self, elem_size: usize) -> Option<usize> {
        let n = self.i32()?;
        let n = usize::try_from(n).ok()?;
        check_fits(n, elem_size, self.remaining())?;
        Some(n)
    }

    /// `n` little-endian u32 values.
    #[inline]
    pub fn u32s(&mut self, n: usize) -> Option<Vec<u32>> {
        check_fits(n, 4, self.remaining())?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.u32()?);
        }
        Some(v)
    }

    /// `n` little-endian u16 values.
    #[inline]
    pub fn u16s(&mut self, n: usize) -> Option<Vec<u16>> {
        check_fits(n, 2, self.remaining())?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.u16()?);
        }
        Some(v)
    }
}

/// `Some(())` when `n` elements of `size` bytes fit in `avail` bytes.
#[inline]
pub fn check_fits(n: usize, size: usize, avail: usize) -> Option<()> {
    (n.checked_mul(size)? <= avail).then_some(())
}

/// `v` rounded up to a multiple of `align` (a power of two).
#[inline]
pub fn align_up(v: usize, align: usize) -> Option<usize> {
    let mask = align.checked_sub(1)?;
    Some(v.checked_add(mask)? & !mask)
}

/// `MAXALIGN`.
#[inline]
pub fn maxalign(v: usize) -> Option<usize> {
    align_up(v, crate::layout::MAXIMUM_ALIGNOF)
}

/// A u16 at byte `off` of `data`.
#[inline]
pub fn u16_at(data: &[u8], off: usize) -> Option<u16> {
    Cursor::at(data, off).u16()
}

/// A u32 at byte `off` of `data`.
#[inline]
pub fn u32_at(data: &[u8], off: usize) -> Option<u32> {
    Cursor::at(data, off).u32()
}

/// An i32 at byte `off` of `data`.
#[inline]
pub fn i32_at(data: &[u8], off: usize) -> Option<i32> {
    Cursor::at(data, off).i32()
}

/// A u64 at byte `off` of `data`.
#[inline]
pub fn u64_at(data: &[u8], off: usize) -> Option<u64> {
    Cursor::at(data, off).u64()
}

/// An i64 at byte `off` of `data`.
#[inline]
pub fn i64_at(data: &[u8], off: usize) -> Option<i64> {
    Cursor::at(data, off).i64()
}

/// A byte at `off` of `data`.
#[inline]
pub fn u8_at(data: &[u8], off: usize) -> Option<u8> {
    data.get(off).copied()
}

/// A C `bool` at `off` of `data`.
#[inline]
pub fn bool_at(data: &[u8], off: usize) -> Option<bool> {
    u8_at(data, off).map(|b| b != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let d = [1u8, 0, 2, 0, 0, 0, b'a', b'b', 0, 9];
        let mut c = Cursor::new(&d);
        assert_eq!(c.u16(), Some(1));
        assert_eq!(c.u32(), Some(2));
        assert_eq!(c.cstr(), Some(&b"ab"[..]));
        assert_eq!(c.u8(), Some(9));
        assert_eq!(c.u8(), None);
        assert_eq!(c.remaining(), 0);
        let mut c = Cursor::new(&d[..3]);
        assert_eq!(c.u32(), None);
        assert_eq!(c.pos(), 0);
        assert_eq!(Cursor::at(&d, 100).u8(), None);
        assert_eq!(Cursor::at(&d, usize::MAX).bytes(2), None);
        assert_eq!(Cursor::new(&[1, 2]).cstr(), None);
        assert_eq!(Cursor::new(&[0xff, 0xff, 0xff, 0x7f]).count(4), None);
        assert_eq!(Cursor::new(&[0xff, 0xff, 0xff, 0xff]).count(4), None);
        let mut c = Cursor::new(&[0, 0, 0, 0, 0]);
        c.skip(1).unwrap();
        c.align(4).unwrap();
        assert_eq!(c.pos(), 4);
        assert_eq!(c.align(8), None);
        assert_eq!(align_up(usize::MAX, 8), None);
        assert_eq!(maxalign(9), Some(16));
        assert_eq!(check_fits(usize::MAX, 2, 10), None);
    }

    #[test]
    fn bounded_at_reads() {
        let b = [1u8, 2, 3, 4, 5];
        assert_eq!(u16_at(&b, 0), Some(0x0201));
        assert_eq!(u32_at(&b, 1), Some(0x0504_0302));
        assert_eq!(u32_at(&b, 2), None);
        assert_eq!(u64_at(&b, 0), None);
        assert_eq!(u16_at(&b, usize::MAX), None);
        let mut c = Cursor::new(&b);
        assert_eq!(c.u8(), Some(1));
        assert_eq!(c.u32(), Some(0x0504_0302));
        assert_eq!(c.u8(), None);
        assert_eq!(c.remaining(), 0);
    }
}
