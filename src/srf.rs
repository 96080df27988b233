//! Set-returning functions spoken to PostgreSQL directly, for the ones
//! whose rows are many (`xlogminer_records`, `xlogminer_contents`). pgrx's
//! `TableIterator` converts every value of every row through its datum
//! traits and forms a heap tuple per call, which in `FROM` the executor
//! then copies into its tuplestore; here a source fills one reused row of
//! datums, formed into a tuple per call in the select list and written
//! straight into the tuplestore in `FROM` (where the executor says it
//! prefers a materialized result). A source may instead hand over a tuple
//! it laid out itself ([`waldecode::heap::tuple::form`], on a thread of
//! its own), which the server only copies.

use pgrx::pg_sys;
use pgrx::PgMemoryContexts;
use waldecode::heap::tuple::{MAX_VARLENA, SIZE_OF_HEAP_TUPLE_HEADER};
use waldecode::layout::{MAXIMUM_ALIGNOF, VARHDRSZ};

/// What a function's `pg_finfo_` symbol returns: called with the version-1
/// convention.
pub(crate) const FINFO_V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };

/// Where a set-returning function's rows come from. What a row's making
/// pallocs in the current memory context lasts until the next row is made
/// (the executor's per-call context in the select list, one of our own in
/// `FROM`, where all rows are made in one call): nothing kept from row to
/// row may live there.
pub(crate) trait RowSource {
    /// Writes the next row into `row` (every column set or NULL), or
    /// returns false at the end.
    fn next_row(&mut self, row: &mut Row) -> bool;
}

impl<F: FnMut(&mut Row) -> bool> RowSource for F {
    fn next_row(&mut self, row: &mut Row) -> bool {
        self(row)
    }
}

/// One row of datums; texts are kept in buffers of the row, so a datum
/// stays valid until the next row is written.
pub(crate) struct Row {
    values: Vec<pg_sys::Datum>,
    nulls: Vec<bool>,
    // Per column of type text or name, a 4-byte-aligned buffer of its
    // value (a varlena: header then bytes; a name: NAMEDATALEN bytes).
    texts: Vec<Vec<u32>>,
    /// A whole tuple laid out by the source, used instead of the datums:
    /// where it starts (MAXALIGNed) and its length. Cleared before each row.
    formed: Option<(*const u8, usize)>,
    /// Where a formed tuple is copied when the source's is not MAXALIGNed.
    aligned: Vec<u64>,
}

impl Row {
    fn new(columns: usize) -> Row {
        Row {
            values: vec![pg_sys::Datum::from(0usize); columns],
            nulls: vec![true; columns],
            texts: vec![Vec::new(); columns],
            formed: None,
            aligned: Vec::new(),
        }
    }

    /// The row as a heap tuple the source laid out with
    /// [`waldecode::heap::tuple::form`] from fields of the result's column
    /// types (see [`check_result_types`]). The bytes must stay where they
    /// are until the source is asked for its next row.
    pub(crate) fn set_formed(&mut self, tuple: &[u8]) {
        assert!(tuple.len() >= SIZE_OF_HEAP_TUPLE_HEADER, "a formed tuple has its header");
        if tuple.as_ptr().align_offset(MAXIMUM_ALIGNOF) == 0 {
            self.formed = Some((tuple.as_ptr(), tuple.len()));
            return;
        }
        // The server reads the header's fields in place.
        self.aligned.clear();
        self.aligned.resize(tuple.len().div_ceil(8), 0);
        for (word, bytes) in self.aligned.iter_mut().zip(tuple.chunks(8)) {
            let mut w = [0u8; 8];
            w[..bytes.len()].copy_from_slice(bytes);
            *word = u64::from_ne_bytes(w);
        }
        self.formed = Some((self.aligned.as_ptr().cast(), tuple.len()));
    }

    /// The formed tuple, as the server's tuple struct pointing at it.
    fn formed_tuple(&self) -> Option<pg_sys::HeapTupleData> {
        self.formed.map(|(bytes, len)| pg_sys::HeapTupleData {
            t_len: len as u32,
            t_self: pg_sys::ItemPointerData::default(),
            t_tableOid: pg_sys::InvalidOid,
            t_data: bytes.cast_mut().cast(),
        })
    }

    /// A pass-by-value column (`int4`, `xid`, `pg_lsn`, `bool` ...).
    pub(crate) fn set(&mut self, column: usize, value: pg_sys::Datum) {
        self.values[column] = value;
        self.nulls[column] = false;
    }

    pub(crate) fn set_null(&mut self, column: usize) {
        self.nulls[column] = true;
    }

    /// A `text` column holding `bytes`, which must be in the server's
    /// encoding.
    pub(crate) fn set_text(&mut self, column: usize, bytes: &[u8]) {
        let size = VARHDRSZ + bytes.len();
        if size > MAX_VARLENA {
            pgrx::error!(
                "a result text of {} bytes is longer than a text value can be",
                bytes.len()
            );
        }
        let p = self.buffer(column, size);
        // SAFETY: the buffer holds `size` bytes, 4-byte aligned; the
        // header is written the way SET_VARSIZE does, then the bytes.
        unsafe {
            pgrx::set_varsize_4b(p.cast(), size as i32);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.add(VARHDRSZ), bytes.len());
        }
        self.values[column] = pg_sys::Datum::from(p);
        self.nulls[column] = false;
    }

    /// A `name` column holding `bytes` (in the server's encoding), cut to
    /// what a name keeps.
    pub(crate) fn set_name(&mut self, column: usize, bytes: &[u8]) {
        let keep = crate::types::name_len(bytes);
        let size = pg_sys::NAMEDATALEN as usize;
        let p = self.buffer(column, size);
        // SAFETY: the buffer holds NAMEDATALEN bytes, of which the name
        // takes `keep` < NAMEDATALEN; the rest are zeroed (NUL-padded, as
        // namein leaves it).
        unsafe {
            std::ptr::write_bytes(p, 0, size);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, keep);
        }
        self.values[column] = pg_sys::Datum::from(p);
        self.nulls[column] = false;
    }

    /// A `tid` column.
    pub(crate) fn set_tid(&mut self, column: usize, tid: pg_sys::ItemPointerData) {
        let size = std::mem::size_of::<pg_sys::ItemPointerData>();
        let p = self.buffer(column, size);
        // SAFETY: the buffer holds `size` bytes, aligned for the struct's
        // 2-byte fields.
        unsafe { p.cast::<pg_sys::ItemPointerData>().write(tid) };
        self.values[column] = pg_sys::Datum::from(p);
        self.nulls[column] = false;
    }

    /// Column `column`'s buffer, with room for `size` bytes (grown, never
    /// shrunk: what a datum holds is bounded by its header or type).
    fn buffer(&mut self, column: usize, size: usize) -> *mut u8 {
        let buf = &mut self.texts[column];
        let words = size.div_ceil(4);
        if buf.len() < words {
            buf.resize(words, 0);
        }
        buf.as_mut_ptr().cast::<u8>()
    }
}

/// What a call in the select list keeps between calls.
struct State {
    source: Box<dyn RowSource>,
    row: Row,
}

/// Runs the set-returning function called by `fcinfo`, whose rows come
/// from the source `open` makes on the first call (in memory that lives
/// as long as the call; it is dropped when the rows end, the executor stops
/// early, or the statement fails).
///
/// # Safety
/// `fcinfo` must be the call of a C function declared `RETURNS TABLE` or
/// `RETURNS SETOF` a composite type, whose columns are those the source
/// writes, of the types it writes them as.
pub(crate) unsafe fn run(
    fcinfo: pg_sys::FunctionCallInfo,
    open: impl FnOnce(pg_sys::FunctionCallInfo) -> Box<dyn RowSource>,
) -> pg_sys::Datum {
    // SAFETY: as the caller promises; every pointer is the executor's.
    unsafe {
        let rsinfo = (*fcinfo).resultinfo.cast::<pg_sys::ReturnSetInfo>();
        if rsinfo.is_null() || (*rsinfo).type_ != pg_sys::NodeTag::T_ReturnSetInfo {
            pgrx::error!("set-valued function called in context that cannot accept a set");
        }
        if (*(*fcinfo).flinfo).fn_extra.is_null() {
            let modes = (*rsinfo).allowedModes as u32;
            let materialized = pg_sys::SetFunctionReturnMode::SFRM_Materialize
                | pg_sys::SetFunctionReturnMode::SFRM_Materialize_Preferred;
            if modes & materialized == materialized {
                return materialize(fcinfo, rsinfo, open);
            }
            let funcctx = pg_sys::init_MultiFuncCall(fcinfo);
            let mcx = (*funcctx).multi_call_memory_ctx;
            let old = pg_sys::MemoryContextSwitchTo(mcx);
            let desc = pg_sys::BlessTupleDesc(result_desc(fcinfo));
            (*funcctx).tuple_desc = desc;
            let state = State { source: open(fcinfo), row: Row::new((*desc).natts as usize) };
            (*funcctx).user_fctx = PgMemoryContexts::For(mcx).leak_and_drop_on_delete(state).cast();
            pg_sys::MemoryContextSwitchTo(old);
        }
        let funcctx = pg_sys::per_MultiFuncCall(fcinfo);
        let state = &mut *(*funcctx).user_fctx.cast::<State>();
        state.row.formed = None;
        if state.source.next_row(&mut state.row) {
            let row = &mut state.row;
            (*funcctx).call_cntr += 1;
            (*rsinfo).isDone = pg_sys::ExprDoneCond::ExprMultipleResult;
            if let Some(mut tuple) = row.formed_tuple() {
                // A copy in the call's memory, made a composite datum by
                // the server (its length, type and typmod in the header).
                return pg_sys::heap_copy_tuple_as_datum(&mut tuple, (*funcctx).tuple_desc);
            }
            let tuple = pg_sys::heap_form_tuple(
                (*funcctx).tuple_desc,
                row.values.as_mut_ptr(),
                row.nulls.as_mut_ptr(),
            );
            pg_sys::HeapTupleHeaderGetDatum((*tuple).t_data)
        } else {
            // Deletes the call's memory, and with it the source.
            pg_sys::end_MultiFuncCall(fcinfo, funcctx);
            (*rsinfo).isDone = pg_sys::ExprDoneCond::ExprEndResult;
            (*fcinfo).isnull = true;
            pg_sys::Datum::from(0usize)
        }
    }
}

/// Writes all the rows into a tuplestore handed to the executor.
///
/// # Safety
/// As for [`run`]; `rsinfo` is the call's.
unsafe fn materialize(
    fcinfo: pg_sys::FunctionCallInfo,
    rsinfo: *mut pg_sys::ReturnSetInfo,
    open: impl FnOnce(pg_sys::FunctionCallInfo) -> Box<dyn RowSource>,
) -> pg_sys::Datum {
    // SAFETY: as the caller promises.
    unsafe {
        let random = (*rsinfo).allowedModes as u32
            & pg_sys::SetFunctionReturnMode::SFRM_Materialize_Random
            != 0;
        let old = pg_sys::MemoryContextSwitchTo((*(*rsinfo).econtext).ecxt_per_query_memory);
        let desc = result_desc(fcinfo);
        let store = pg_sys::tuplestore_begin_heap(random, false, pg_sys::work_mem);
        (*rsinfo).returnMode = pg_sys::SetFunctionReturnMode::SFRM_Materialize;
        (*rsinfo).setResult = store;
        (*rsinfo).setDesc = desc;
        pg_sys::MemoryContextSwitchTo(old);
        let mut source = open(fcinfo);
        let mut row = Row::new((*desc).natts as usize);
        // What a row's making pallocs goes into a context of its own,
        // emptied before the next: in the select list the executor empties
        // the call's context after each row, here all rows are made in one
        // call. (The tuplestore copies rows into its own memory.) A row
        // that pallocs nothing, like a tuple laid out by its source, leaves
        // the context as it was and nothing to empty.
        let mut row_memory = PgMemoryContexts::new("xlogminer row");
        let context = row_memory.value();
        row_memory.switch_to(|_| loop {
            if !(*context).isReset || !(*context).firstchild.is_null() {
                pg_sys::MemoryContextReset(context);
            }
            row.formed = None;
            if !source.next_row(&mut row) {
                break;
            }
            if let Some(mut tuple) = row.formed_tuple() {
                // The tuplestore copies it.
                pg_sys::tuplestore_puttuple(store, &mut tuple);
            } else {
                pg_sys::tuplestore_putvalues(
                    store,
                    desc,
                    row.values.as_mut_ptr(),
                    row.nulls.as_mut_ptr(),
                );
            }
        });
        // Ends the source (and any thread it runs) before returning.
        drop(source);
        (*fcinfo).isnull = true;
        pg_sys::Datum::from(0usize)
    }
}

/// Raises an ERROR unless the call's result columns are of `types`, in
/// order: a source that lays out its own tuples lays them out for these.
///
/// # Safety
/// `fcinfo` must be a valid call.
pub(crate) unsafe fn check_result_types(fcinfo: pg_sys::FunctionCallInfo, types: &[pg_sys::Oid]) {
    // SAFETY: as the caller promises; the descriptor has `natts` entries.
    let ok = unsafe {
        let desc = result_desc(fcinfo);
        let natts = (*desc).natts as usize;
        natts == types.len()
            && (0..natts).all(|i| {
                let att = &*(*desc).attrs.as_ptr().add(i);
                !att.attisdropped && att.atttypid == types[i]
            })
    };
    if !ok {
        crate::error::raise(
            pgrx::PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
            "the result columns of this function are not those of this build of xlogminer".into(),
            None,
            Some("Drop the extension and create it again.".into()),
        );
    }
}

/// The call's result row type, from its declaration.
///
/// # Safety
/// `fcinfo` must be a valid call.
unsafe fn result_desc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::TupleDesc {
    let mut desc: pg_sys::TupleDesc = std::ptr::null_mut();
    // SAFETY: the call is the executor's; the descriptor is palloc'd in
    // the current memory context.
    let kind = unsafe { pg_sys::get_call_result_type(fcinfo, std::ptr::null_mut(), &mut desc) };
    if kind != pg_sys::TypeFuncClass::TYPEFUNC_COMPOSITE || desc.is_null() {
        pgrx::error!("function returning record called in context that cannot accept type record");
    }
    desc
}
