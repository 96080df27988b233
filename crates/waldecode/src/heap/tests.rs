//! Heap redo tests over WAL records built byte for byte.

use super::page;
use super::redo::{apply, no_live_tuples, ChangeKind};
use super::store::{PageKey, PageStore};
use crate::testutil::{record, with_record, TBlock, WalWriter};
use crate::{RelFileLocator, WalReader};

const REL: RelFileLocator = RelFileLocator { spc: 1663, db: 5, rel: 16384 };

/// Tuple data after the 23-byte header: no nulls, hoff 24 (one pad byte),
/// then `user` bytes.
fn logged(user: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&2u16.to_le_bytes()); // infomask2: 2 attributes
    d.extend_from_slice(&0x0002u16.to_le_bytes()); // HASVARWIDTH
    d.push(24); // t_hoff
    d.push(0); // padding byte up to t_hoff
    d.extend_from_slice(user);
    d
}

fn user_of(t: &[u8]) -> &[u8] {
    &t[24..]
}

fn run(recs: Vec<Vec<u8>>, store: &mut PageStore) -> Vec<Vec<super::redo::HeapChange>> {
    let mut w = WalWriter::new(1 << 20, 1);
    let first = recs.into_iter().map(|r| w.append(r)).collect::<Vec<_>>()[0];
    let mut r = WalReader::new(w.source());
    r.seek(first).unwrap();
    let mut out = Vec::new();
    while let Ok(Some(rec)) = r.next_record() {
        out.push(apply(&rec, store, &mut no_live_tuples).unwrap());
    }
    out
}

fn insert(off: u16, init: bool, user: &[u8]) -> Vec<u8> {
    let mut md = off.to_le_bytes().to_vec();
    md.push(0);
    let b = TBlock {
        id: 0,
        rel: Some(REL),
        blkno: 0,
        data: logged(user),
        extra_flags: if init { 0x40 } else { 0 },
        ..Default::default()
    };
    record(10, if init { 0x80 } else { 0 }, 700, &[b], &md)
}

fn update_md(old_off: u16, new_off: u16, flags: u8) -> Vec<u8> {
    let mut md = vec![0u8; 14];
    md[0..4].copy_from_slice(&701u32.to_le_bytes());
    md[4..6].copy_from_slice(&old_off.to_le_bytes());
    md[7] = flags;
    md[12..14].copy_from_slice(&new_off.to_le_bytes());
    md
}

fn delete(off: u16) -> Vec<u8> {
    let mut md = vec![0u8; 8];
    md[0..4].copy_from_slice(&702u32.to_le_bytes());
    md[4..6].copy_from_slice(&off.to_le_bytes());
    record(10, 0x10, 702, &[TBlock { id: 0, rel: Some(REL), blkno: 0, ..Default::default() }], &md)
}

#[test]
fn insert_update_with_prefix_suffix_then_delete() {
    let mut store = PageStore::new(1 << 20);
    // Old row "AAAAhelloZZZZ"; new row "AAAAworldZZZZ" logged as prefix 4, suffix 4.
    let mut d = Vec::new();
    d.extend_from_slice(&4u16.to_le_bytes());
    d.extend_from_slice(&4u16.to_le_bytes());
    d.extend_from_slice(&logged(b"world"));
    let upd = record(
        10,
        0x40,
        701,
        &[TBlock { id: 0, rel: Some(REL), blkno: 0, data: d, ..Default::default() }],
        &update_md(2, 3, 0x60),
    );
    let out = run(
        vec![insert(1, true, b"first row"), insert(2, false, b"AAAAhelloZZZZ"), upd, delete(3)],
        &mut store,
    );
    assert_eq!(out[0][0].kind, ChangeKind::Insert);
    assert_eq!(user_of(out[0][0].new_tuple.as_ref().unwrap()), b"first row");
    let u = &out[2][0];
    assert_eq!(u.kind, ChangeKind::Update { hot: true });
    assert_eq!(user_of(u.old_tuple.as_ref().unwrap()), b"AAAAhelloZZZZ");
    assert_eq!(user_of(u.new_tuple.as_ref().unwrap()), b"AAAAworldZZZZ");
    assert_eq!(u.old_tid, Some((0, 2)));
    assert_eq!(u.new_tid, Some((0, 3)));
    let del = &out[3][0];
    assert_eq!(del.kind, ChangeKind::Delete);
    assert_eq!(user_of(del.old_tuple.as_ref().unwrap()), b"AAAAworldZZZZ");
    assert!(del.missing.is_none());
}

#[test]
fn image_gives_new_row_and_tracked_page_the_old() {
    let mut store = PageStore::new(1 << 20);
    run(vec![insert(1, true, b"before")], &mut store);
    // The page after an update of item 1 into item 2: both tuples present.
    let mut img = [0u8; 8192];
    page::init(&mut img);
    let t1 = [vec![0u8; 23], logged(b"before")[4..].to_vec()].concat();
    let mut t1 = t1;
    t1[22] = 24;
    let mut t2 = t1.clone();
    t2.truncate(24);
    t2.extend_from_slice(b"after!");
    assert!(page::add_item(&mut img, 1, &t1));
    assert!(page::add_item(&mut img, 2, &t2));
    let b = TBlock {
        id: 0,
        rel: Some(REL),
        blkno: 0,
        image: Some((img.to_vec(), 0, 0, 0x02)),
        ..Default::default()
    };
    let out = run(vec![record(10, 0x20, 701, &[b], &update_md(1, 2, 0))], &mut store);
    let u = &out[0][0];
    assert_eq!(user_of(u.old_tuple.as_ref().unwrap()), b"before");
    assert_eq!(user_of(u.new_tuple.as_ref().unwrap()), b"after!");
}

#[test]
fn untracked_page_is_reported_not_guessed() {
    let mut store = PageStore::new(1 << 20);
    let out = run(vec![delete(5)], &mut store);
    assert!(out[0][0].old_tuple.is_none());
    assert!(out[0][0].missing.as_ref().unwrap().contains("was not seen"));
}

#[test]
fn multi_insert_and_offset_reuse_after_vacuum() {
    let mut store = PageStore::new(1 << 20);
    // Multi-insert of three tuples with INIT_PAGE.
    let mut d = Vec::new();
    for user in [&b"one"[..], b"two!", b"three"] {
        while d.len() % 2 != 0 {
            d.push(0);
        }
        let l = logged(user);
        d.extend_from_slice(&((l.len() - 5) as u16).to_le_bytes());
        d.extend_from_slice(&l[..5]);
        d.extend_from_slice(&l[5..]);
    }
    let mut md = vec![0u8, 0];
    md.extend_from_slice(&3u16.to_le_bytes());
    let mi = record(
        9,
        0x50 | 0x80,
        703,
        &[TBlock {
            id: 0,
            rel: Some(REL),
            blkno: 0,
            data: d,
            extra_flags: 0x40,
            ..Default::default()
        }],
        &md,
    );
    // Prune: item 2 dead... then vacuum marks it unused, and an insert reuses it.
    let mut pmd = vec![0u8; 8];
    pmd[6..8].copy_from_slice(&1u16.to_le_bytes());
    // Block 0 of both holds offset 2.
    let item2 = || TBlock {
        id: 0,
        rel: Some(REL),
        blkno: 0,
        data: 2u16.to_le_bytes().to_vec(),
        ..Default::default()
    };
    let prune = record(9, 0x10, 0, &[item2()], &pmd);
    let vacuum = record(9, 0x20, 0, &[item2()], &1u16.to_le_bytes());
    let out =
        run(vec![mi, prune, vacuum, insert(2, false, b"reused"), delete(2), delete(3)], &mut store);
    let items: Vec<_> = out[0]
        .iter()
        .map(|c| (c.item, c.new_tid, user_of(c.new_tuple.as_ref().unwrap()).to_vec()))
        .collect();
    assert_eq!(
        items,
        vec![
            (0, Some((0, 1)), b"one".to_vec()),
            (1, Some((0, 2)), b"two!".to_vec()),
            (2, Some((0, 3)), b"three".to_vec())
        ]
    );
    assert_eq!(user_of(out[4][0].old_tuple.as_ref().unwrap()), b"reused");
    assert_eq!(user_of(out[5][0].old_tuple.as_ref().unwrap()), b"three");
    let k = PageKey { locator: REL, fork: 0, blkno: 0 };
    assert!(store.get(k).unwrap().is_some());
}

#[test]
fn random_heap_records_never_panic() {
    let mut state = 99u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u8
    };
    let mut store = PageStore::new(1 << 20);
    run(vec![insert(1, true, b"seed")], &mut store);
    for rmid in [9u8, 10] {
        for info in (0..=255u8).step_by(16) {
            let md: Vec<u8> = (0..(next() % 20)).map(|_| next()).collect();
            let data: Vec<u8> = (0..(next() % 60)).map(|_| next()).collect();
            let blocks = [TBlock { id: 0, rel: Some(REL), blkno: 0, data, ..Default::default() }];
            let mut w = WalWriter::new(1 << 20, 1);
            let lsn = w.append(record(rmid, info, 1, &blocks, &md));
            with_record(&w, lsn, |rec| {
                let _ = apply(rec, &mut store, &mut no_live_tuples);
            });
        }
    }
}

/// A tuple as a relation's page holds it: header with xmax and ctid,
/// then `logged(user)`'s bytes after the header fields.
fn live_tuple(xmax: u32, ctid: (u32, u16), user: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 23];
    t[4..8].copy_from_slice(&xmax.to_le_bytes());
    t[12..14].copy_from_slice(&((ctid.0 >> 16) as u16).to_le_bytes());
    t[14..16].copy_from_slice(&(ctid.0 as u16).to_le_bytes());
    t[16..18].copy_from_slice(&ctid.1.to_le_bytes());
    t[18..20].copy_from_slice(&2u16.to_le_bytes());
    t[22] = 24;
    t.push(0);
    t.extend_from_slice(user);
    t
}

/// Runs `recs` with a relation whose page now holds `now` at every position.
fn run_live(recs: Vec<Vec<u8>>, now: Vec<u8>) -> Vec<Vec<super::redo::HeapChange>> {
    let mut store = PageStore::new(1 << 20);
    let mut w = WalWriter::new(1 << 20, 1);
    let first = recs.into_iter().map(|r| w.append(r)).collect::<Vec<_>>()[0];
    let mut r = WalReader::new(w.source());
    r.seek(first).unwrap();
    let mut live = |loc: RelFileLocator, _tid: (u32, u16)| (loc == REL).then(|| now.clone());
    let mut out = Vec::new();
    while let Ok(Some(rec)) = r.next_record() {
        out.push(apply(&rec, &mut store, &mut live).unwrap());
    }
    out
}

#[test]
fn old_versions_of_untracked_pages_come_from_the_live_page_when_they_match() {
    // The DELETE set xmax 702: the live tuple with that xmax is the old row.
    let out = run_live(vec![delete(5)], live_tuple(702, (0, 5), b"gone row"));
    assert_eq!(user_of(out[0][0].old_tuple.as_ref().unwrap()), b"gone row");
    assert!(out[0][0].missing.is_none());
    // Another xmax: the position now holds something else (pruned, reused).
    let out = run_live(vec![delete(5)], live_tuple(999, (0, 5), b"someone else"));
    assert!(out[0][0].old_tuple.is_none());
    assert!(out[0][0].missing.as_ref().unwrap().contains("does not hold it now"));
    // An UPDATE with a shared prefix and suffix: the new row is rebuilt
    // from the live old row, which must point to the new version.
    let mut d = Vec::new();
    d.extend_from_slice(&4u16.to_le_bytes());
    d.extend_from_slice(&4u16.to_le_bytes());
    d.extend_from_slice(&logged(b"world"));
    let upd = || {
        record(
            10,
            0x40,
            701,
            &[TBlock { id: 0, rel: Some(REL), blkno: 0, data: d.clone(), ..Default::default() }],
            &update_md(2, 3, 0x60),
        )
    };
    let out = run_live(vec![upd()], live_tuple(701, (0, 3), b"AAAAhelloZZZZ"));
    assert_eq!(user_of(out[0][0].old_tuple.as_ref().unwrap()), b"AAAAhelloZZZZ");
    assert_eq!(user_of(out[0][0].new_tuple.as_ref().unwrap()), b"AAAAworldZZZZ");
    // The right xmax but a ctid leading elsewhere is not it.
    let out = run_live(vec![upd()], live_tuple(701, (0, 9), b"AAAAhelloZZZZ"));
    assert!(out[0][0].old_tuple.is_none() && out[0][0].new_tuple.is_none());
}
