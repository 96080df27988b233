//! SQL types pgrx 0.18 has no Rust type for (`pg_lsn`, `xid` kept as 0,
//! `regclass` arguments), and results handed back in the database's
//! encoding (`text`, `name`).

use pgrx::callconv::{Arg, ArgAbi, BoxRet, FcInfo};
use pgrx::datum::Datum;
use pgrx::nullable::Nullable;
use pgrx::pg_sys;
use pgrx::prelude::*;
use waldecode::Lsn;

use crate::encoding::to_server;

/// A `pg_lsn` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct PgLsn(pub u64);

impl_sql_translatable!(PgLsn, "pg_lsn");

impl From<Lsn> for PgLsn {
    fn from(l: Lsn) -> PgLsn {
        PgLsn(l.0)
    }
}

impl From<PgLsn> for Lsn {
    fn from(l: PgLsn) -> Lsn {
        Lsn(l.0)
    }
}

impl IntoDatum for PgLsn {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(pg_sys::Datum::from(self.0))
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::PG_LSNOID
    }
}

impl FromDatum for PgLsn {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<PgLsn> {
        if is_null {
            None
        } else {
            Some(PgLsn(datum.value() as u64))
        }
    }
}

// SAFETY: a pg_lsn is a pass-by-value 8-byte datum.
unsafe impl BoxRet for PgLsn {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        // SAFETY: the datum is a plain integer, valid for any caller.
        unsafe { fcinfo.return_raw_datum(pg_sys::Datum::from(self.0)) }
    }
}

// SAFETY: unboxes through FromDatum, which handles NULL.
unsafe impl<'fcx> ArgAbi<'fcx> for PgLsn {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        // SAFETY: the argument is declared pg_lsn, so the datum is one.
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }

    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> Nullable<Self> {
        // SAFETY: as above.
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}

/// A `name` value (63 bytes at most; longer input is cut at a character
/// boundary, as the server does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgName(pub std::rc::Rc<str>);

impl_sql_translatable!(PgName, "name");

/// How many bytes of `bytes` (in the database's encoding) a `name` keeps:
/// all when they fit in 63, else as many as fit, cut on a character
/// boundary (as the server cuts).
pub(crate) fn name_len(bytes: &[u8]) -> usize {
    let max = pg_sys::NAMEDATALEN as usize - 1;
    // A name that fits needs no cut (names hold no NUL byte).
    if bytes.len() <= max {
        return bytes.len();
    }
    let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
    // SAFETY: pg_mbcliplen reads at most `max` bytes of `bytes` and gives
    // a cut on a character boundary of the database's encoding.
    let cut = unsafe { pg_sys::pg_mbcliplen(bytes.as_ptr().cast(), len, max as i32) };
    (cut.clamp(0, max as i32) as usize).min(bytes.len())
}

impl IntoDatum for PgName {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let bytes = to_server(&self.0);
        let end = name_len(&bytes);
        // SAFETY: palloc0 returns zeroed memory of NAMEDATALEN bytes, of
        // which the name takes at most 63.
        unsafe {
            let p = pg_sys::palloc0(pg_sys::NAMEDATALEN as usize).cast::<u8>();
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, end);
            Some(pg_sys::Datum::from(p))
        }
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::NAMEOID
    }
}

// SAFETY: returned through IntoDatum, a palloc'd NameData.
unsafe impl BoxRet for PgName {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        match self.into_datum() {
            // SAFETY: a valid by-reference datum in the current context.
            Some(d) => unsafe { fcinfo.return_raw_datum(d) },
            None => fcinfo.return_null(),
        }
    }
}

/// A `text` result, handed back in the database's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerText(pub String);

impl_sql_translatable!(ServerText, "text");

impl IntoDatum for ServerText {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let bytes = to_server(&self.0);
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        // SAFETY: copies `len` bytes into a palloc'd text.
        Some(pg_sys::Datum::from(unsafe {
            pg_sys::cstring_to_text_with_len(bytes.as_ptr().cast(), len)
        }))
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::TEXTOID
    }
}

// SAFETY: returned through IntoDatum, a palloc'd text.
unsafe impl BoxRet for ServerText {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        match self.into_datum() {
            // SAFETY: a valid by-reference datum in the current context.
            Some(d) => unsafe { fcinfo.return_raw_datum(d) },
            None => fcinfo.return_null(),
        }
    }
}

/// A `regclass` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regclass(pub pg_sys::Oid);

impl_sql_translatable!(Regclass, "regclass");

impl FromDatum for Regclass {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _typoid: pg_sys::Oid,
    ) -> Option<Regclass> {
        (!is_null).then(|| Regclass(pg_sys::Oid::from(datum.value() as u32)))
    }
}

// SAFETY: regclass is a pass-by-value oid.
unsafe impl pgrx::datum::UnboxDatum for Regclass {
    type As<'src> = Regclass;

    unsafe fn unbox<'src>(d: Datum<'src>) -> Regclass
    where
        Self: 'src,
    {
        Regclass(pg_sys::Oid::from(d.sans_lifetime().value() as u32))
    }
}

/// An `xid` result that stays a value when it is 0 (pgrx's own type turns
/// InvalidTransactionId into NULL; pg_walinspect shows 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xid(pub u32);

impl_sql_translatable!(Xid, "xid");

impl IntoDatum for Xid {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        Some(pg_sys::Datum::from(self.0))
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::XIDOID
    }
}

// SAFETY: xid is a pass-by-value 4-byte datum.
unsafe impl BoxRet for Xid {
    unsafe fn box_into<'fcx>(self, fcinfo: &mut FcInfo<'fcx>) -> Datum<'fcx> {
        // SAFETY: a plain integer datum.
        unsafe { fcinfo.return_raw_datum(pg_sys::Datum::from(self.0)) }
    }
}
