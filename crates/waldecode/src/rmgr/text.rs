//! Text helpers shared by the record descriptions: LSNs (`%X/%X`),
//! timestamps (`timestamptz_to_str`), relation paths (`relpathperm`), the
//! C `%g` conversion, NUL-terminated strings, booleans as `T`/`F` and full
//! transaction ids.

use std::fmt::Write;

use crate::version::PgVersion;

/// An LSN as `LSN_FORMAT_ARGS` with `%X/%X` prints it.
pub fn lsn(v: u64) -> String {
    format!("{:X}/{:X}", v >> 32, v & 0xFFFF_FFFF)
}

/// Appends `v` in decimal; this runs for every block of every record
/// (and the fields of the common heap records), where `write!` costs more
/// than the rest of the line.
pub(crate) fn push_u32(out: &mut String, v: u32) {
    push_zero_padded(out, u64::from(v), 1);
}

/// Appends `v` as `%02X` prints it.
pub(crate) fn push_hex2(out: &mut String, v: u8) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.push(char::from(DIGITS[usize::from(v >> 4)]));
    out.push(char::from(DIGITS[usize::from(v & 0xF)]));
}

/// µs per day.
const USECS_PER_DAY: i64 = 86_400_000_000;
/// Julian day of 2000-01-01, PostgreSQL's timestamp epoch.
const POSTGRES_EPOCH_JDATE: i64 = 2_451_545;
/// `MIN_TIMESTAMP` (timestamp.h): 4714-11-24 BC.
const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
/// `END_TIMESTAMP` (timestamp.h): first µs past 294276-12-31.
const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;

/// Port of `j2date` (datetime.c): Julian day to (year, month, day).
fn j2date(jd: i64) -> (i64, i64, i64) {
    // The C works in unsigned int; jd is within 0..=i32::MAX here, so i64
    // arithmetic gives the same results without any chance of overflow.
    let mut julian = jd + 32044;
    let mut quad = julian / 146_097;
    let extra = (julian - quad * 146_097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146_097;
    quad = julian / 1461;
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 { (julian + 305) % 365 } else { (julian + 306) % 366 } + 123;
    y += quad * 4;
    let year = y - 4800;
    let quad = julian * 2141 / 65536;
    let day = julian - 7834 * quad / 256;
    let month = (quad + 10) % 12 + 1;
    (year, month, day)
}

/// A `TimestampTz` (µs since 2000-01-01 00:00 UTC) as
/// `timestamptz_to_str` (timestamp.c) formats it with `DateStyle = ISO`.
///
/// Deviation from PostgreSQL: the C prints the time in the server's
/// `TimeZone` (pg_waldump: the process's local zone); this always prints
/// UTC, e.g. `2026-11-25 02:54:31.123456+00`. Fractional seconds lose their
/// trailing zeros and vanish when zero, as in `AppendSeconds`; years before
/// 1 AD get the ` BC` suffix; ±infinity and out-of-range values print as
/// the C does.
pub fn timestamptz(t: i64) -> String {
    let mut s = String::with_capacity(32);
    push_timestamptz(&mut s, t);
    s
}

/// Appends [`timestamptz`]'s text of `t` (commit records print one each,
/// so no formatting machinery is used).
pub(crate) fn push_timestamptz(out: &mut String, t: i64) {
    if t == i64::MIN {
        return out.push_str("-infinity");
    }
    if t == i64::MAX {
        return out.push_str("infinity");
    }
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&t) {
        return out.push_str("(timestamp out of range)");
    }
    let mut date = t / USECS_PER_DAY;
    let mut time = t - date * USECS_PER_DAY;
    if time < 0 {
        time += USECS_PER_DAY;
        date -= 1;
    }
    let (year, month, day) = j2date(date + POSTGRES_EPOCH_JDATE);
    let hour = time / 3_600_000_000;
    time -= hour * 3_600_000_000;
    let min = time / 60_000_000;
    time -= min * 60_000_000;
    let sec = time / 1_000_000;
    let fsec = time - sec * 1_000_000;
    let (shown_year, bc) = if year > 0 { (year, false) } else { (1 - year, true) };
    // Every field is non-negative here.
    let field = |out: &mut String, v: i64, width: usize, sep: char| {
        push_zero_padded(out, v as u64, width);
        out.push(sep);
    };
    field(out, shown_year, 4, '-');
    field(out, month, 2, '-');
    field(out, day, 2, ' ');
    field(out, hour, 2, ':');
    field(out, min, 2, ':');
    push_zero_padded(out, sec as u64, 2);
    if fsec != 0 {
        out.push('.');
        let mut digits = 6;
        let mut frac = fsec as u64;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        push_zero_padded(out, frac, digits);
    }
    out.push_str("+00");
    if bc {
        out.push_str(" BC");
    }
}

/// Appends `v` in decimal, with leading zeros to `width` digits (`%0*d`);
/// two digits at a time, as integers are most of what descriptions print.
fn push_zero_padded(out: &mut String, mut v: u64, width: usize) {
    const PAIRS: &[u8; 200] = b"00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    let from = i.min(buf.len() - width.min(buf.len()));
    out.extend(buf[from..].iter().map(|&d| char::from(d)));
}

/// `TABLESPACE_VERSION_DIRECTORY` ("PG_" major "_" `CATALOG_VERSION_NO`).
pub fn tablespace_version_directory(version: PgVersion) -> &'static str {
    match version {
        PgVersion::V14 => "PG_14_202107181",
        PgVersion::V15 => "PG_15_202209061",
        PgVersion::V16 => "PG_16_202307071",
        PgVersion::V17 => "PG_17_202406281",
        PgVersion::V18 => "PG_18_202506291",
    }
}

/// `forkNames[]` (relpath.c); PostgreSQL has no name past `init`.
fn fork_name(fork: i32) -> Option<&'static str> {
    match fork {
        0 => Some("main"),
        1 => Some("fsm"),
        2 => Some("vm"),
        3 => Some("init"),
        _ => None,
    }
}

/// `GLOBALTABLESPACE_OID` (pg_tablespace.dat).
const GLOBALTABLESPACE_OID: u32 = 1664;
/// `DEFAULTTABLESPACE_OID` (pg_tablespace.dat).
const DEFAULTTABLESPACE_OID: u32 = 1663;

/// Port of `relpathperm` / `GetRelationPath` (relpath.c) for a permanent
/// relation: `global/REL`, `base/DB/REL` or
/// `pg_tblspc/SPC/PG_<major>_<catversion>/DB/REL`, with `_fsm`, `_vm` or
/// `_init` for the other forks. A fork number PostgreSQL does not know
/// (only in garbage data, where the C would read past `forkNames`) is shown
/// as `_fork<N>`.
pub fn relpathperm(version: PgVersion, spc: u32, db: u32, rel: u32, fork: i32) -> String {
    let mut s = if spc == GLOBALTABLESPACE_OID {
        format!("global/{rel}")
    } else if spc == DEFAULTTABLESPACE_OID {
        format!("base/{db}/{rel}")
    } else {
        format!("pg_tblspc/{spc}/{}/{db}/{rel}", tablespace_version_directory(version))
    };
    if fork != 0 {
        match fork_name(fork) {
            Some(n) => {
                let _ = write!(s, "_{n}");
            }
            None => {
                let _ = write!(s, "_fork{fork}");
            }
        }
    }
    s
}

/// Bytes of a C string as text (invalid UTF-8 replaced).
pub fn cstr(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The C `%g` conversion (precision 6) of `v`.
pub fn g(v: f64) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    const P: i32 = 6;
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Round to P significant digits first to learn the decimal exponent.
    let e_form = format!("{:.*e}", (P - 1) as usize, v);
    let exp: i32 = e_form.rsplit('e').next().and_then(|x| x.parse().ok()).unwrap_or(0);
    if !(-4..P).contains(&exp) {
        let (mant, _) = e_form.split_once('e').unwrap_or((e_form.as_str(), ""));
        let mant = strip_fraction_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let prec = (P - 1 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{v:.prec$}")).to_string()
    }
}

/// Drops trailing zeros of a fraction, and the point if nothing is left.
fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `'T'` or `'F'`, as the C prints booleans here.
pub fn tf(b: bool) -> char {
    if b {
        'T'
    } else {
        'F'
    }
}

/// A `FullTransactionId` as `epoch:xid`.
pub fn full_xid(v: u64) -> String {
    format!("{}:{}", v >> 32, v & 0xFFFF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamptz(0), "2000-01-01 00:00:00+00");
        assert_eq!(timestamptz(-1), "1999-12-31 23:59:59.999999+00");
        assert_eq!(timestamptz(500_000), "2000-01-01 00:00:00.5+00");
        // 2026-11-25 02:54:31.123456 UTC
        let days = 9825i64; // 2000-01-01 .. 2026-11-25
        let t = days * USECS_PER_DAY + ((2 * 3600 + 54 * 60 + 31) * 1_000_000) + 123_456;
        assert_eq!(timestamptz(t), "2026-11-25 02:54:31.123456+00");
        assert_eq!(timestamptz(i64::MAX), "infinity");
        assert_eq!(timestamptz(i64::MIN), "-infinity");
        assert_eq!(timestamptz(i64::MAX - 1), "(timestamp out of range)");
        assert_eq!(timestamptz(MIN_TIMESTAMP), "4714-11-24 00:00:00+00 BC");
        assert_eq!(timestamptz(END_TIMESTAMP - 1), "294276-12-31 23:59:59.999999+00");
        // 2024-02-29 leap day
        assert_eq!(timestamptz(8825 * USECS_PER_DAY), "2024-02-29 00:00:00+00");
        for (v, width) in [(0u64, 1), (7, 2), (10, 1), (99, 4), (100, 2), (12345, 3), (u64::MAX, 1)]
        {
            let mut s = String::new();
            push_zero_padded(&mut s, v, width);
            assert_eq!(s, format!("{v:0width$}"));
        }
        // Years of fewer than four digits are zero-padded, as %04d does.
        let year_1 = -730_119 * USECS_PER_DAY;
        assert_eq!(timestamptz(year_1 + 10_000), "0001-01-01 00:00:00.01+00");
        assert_eq!(timestamptz(year_1 - USECS_PER_DAY), "0001-12-31 00:00:00+00 BC");
    }

    #[test]
    fn paths() {
        let v = PgVersion::V15;
        assert_eq!(relpathperm(v, 1663, 5, 16384, 0), "base/5/16384");
        assert_eq!(relpathperm(v, 1663, 5, 16384, 2), "base/5/16384_vm");
        assert_eq!(relpathperm(v, 1664, 0, 1262, 0), "global/1262");
        assert_eq!(relpathperm(v, 1664, 0, 1262, 1), "global/1262_fsm");
        assert_eq!(
            relpathperm(v, 16400, 5, 16401, 3),
            "pg_tblspc/16400/PG_15_202209061/5/16401_init"
        );
        assert_eq!(
            relpathperm(PgVersion::V17, 16400, 5, 16401, 0),
            "pg_tblspc/16400/PG_17_202406281/5/16401"
        );
        assert_eq!(relpathperm(v, 1663, 5, 1, 9), "base/5/1_fork9");
    }

    #[test]
    fn percent_g() {
        assert_eq!(g(0.0), "0");
        assert_eq!(g(1.0), "1");
        assert_eq!(g(1234.5), "1234.5");
        assert_eq!(g(123456.0), "123456");
        assert_eq!(g(1234567.0), "1.23457e+06");
        assert_eq!(g(0.0001), "0.0001");
        assert_eq!(g(0.00001234), "1.234e-05");
        assert_eq!(g(-2.5), "-2.5");
        assert_eq!(g(1e100), "1e+100");
        assert_eq!(g(999999.5), "1e+06");
        assert_eq!(g(f64::INFINITY), "inf");
        assert_eq!(g(f64::NAN), "nan");
    }

    #[test]
    fn lsns() {
        assert_eq!(lsn(0x1_0000_00A8), "1/A8");
        assert_eq!(lsn(0), "0/0");
    }
}
