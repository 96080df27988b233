//! Timeline history: which timeline each stretch of WAL belongs to, read
//! from a `.history` file (`readTimeLineHistory`, timeline.c). After a
//! promotion the new timeline forks off its parent at a switch point; WAL
//! of the parent past that point (written by the old primary, or left in
//! a recycled file) is not part of the new timeline's history and must not
//! be read as if it were. [`crate::source::DirSource`] picks the file of
//! each segment from these entries.

use crate::lsn::Lsn;

/// One timeline of a history and the stretch of WAL it covers:
/// `[begin, end)`, `end` `None` for the newest (`TimeLineHistoryEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineEntry {
    pub tli: u32,
    pub begin: Lsn,
    pub end: Option<Lsn>,
}

impl TimelineEntry {
    /// Whether `lsn` lies in this timeline's stretch.
    pub fn contains(&self, lsn: Lsn) -> bool {
        lsn >= self.begin && self.end.is_none_or(|e| lsn < e)
    }
}

/// The history of a timeline, newest entry first; the oldest begins at 0
/// and the newest (the timeline itself) has no end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    entries: Vec<TimelineEntry>,
}

/// A syntax error's message, with the hint `readTimeLineHistory` gives.
fn syntax(line: &str, hint: &str) -> String {
    format!("syntax error in history file: {line} ({hint})")
}

impl History {
    /// A timeline without ancestors (timeline 1, or one whose history file
    /// is not there).
    pub fn single(tli: u32) -> History {
        History { entries: vec![TimelineEntry { tli, begin: Lsn::INVALID, end: None }] }
    }

    /// Parses the content of `target`'s history file with the checks of
    /// `readTimeLineHistory`: lines `parentTLI<TAB>switchpoint<TAB>reason`,
    /// blank lines and `#` comments skipped, timeline ids increasing and
    /// below `target`.
    pub fn parse(target: u32, text: &str) -> Result<History, String> {
        let mut entries = Vec::new();
        let mut prev_end = Lsn::INVALID;
        let mut last_tli = 0u32;
        for line in text.lines() {
            let t = line.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut fields = line.split('\t');
            let tli = fields
                .next()
                .and_then(|f| f.trim().parse::<u32>().ok())
                .ok_or_else(|| syntax(line, "expected a numeric timeline ID"))?;
            let switch = fields
                .next()
                .and_then(|f| f.trim().parse::<Lsn>().ok())
                .ok_or_else(|| syntax(line, "expected a write-ahead log switchpoint location"))?;
            if !entries.is_empty() && tli <= last_tli {
                return Err(format!(
                    "invalid data in history file: {line} (timeline IDs must be in increasing sequence)"
                ));
            }
            if switch < prev_end {
                return Err(format!(
                    "invalid data in history file: {line} (switch points must not go backwards)"
                ));
            }
            last_tli = tli;
            entries.push(TimelineEntry { tli, begin: prev_end, end: Some(switch) });
            prev_end = switch;
        }
        if !entries.is_empty() && target <= last_tli {
            return Err(format!(
                "invalid data in history file of timeline {target}: timeline IDs must be less than the child timeline's ID"
            ));
        }
        entries.push(TimelineEntry { tli: target, begin: prev_end, end: None });
        entries.reverse();
        Ok(History { entries })
    }

    /// The timeline the history leads to.
    pub fn target(&self) -> u32 {
        self.entries[0].tli
    }

    /// The entries, newest first.
    pub fn entries(&self) -> &[TimelineEntry] {
        &self.entries
    }

    /// The entry whose stretch holds `lsn` (`tliOfPointInHistory`).
    pub fn entry_of(&self, lsn: Lsn) -> &TimelineEntry {
        self.entries.iter().find(|e| e.contains(lsn)).unwrap_or(&self.entries[0])
    }

    /// Whether `tli` is on this history.
    pub fn has(&self, tli: u32) -> bool {
        self.entries.iter().any(|e| e.tli == tli)
    }
}

/// The name of timeline `tli`'s history file (`TLHistoryFileName`).
pub fn history_file_name(tli: u32) -> String {
    format!("{tli:08X}.history")
}

/// The timeline of a history file name, `None` for other names.
pub fn parse_history_file_name(name: &str) -> Option<u32> {
    let hex = name.strip_suffix(".history")?;
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_read_timeline_history() {
        // What a server writes: a comment-free line per ancestor, the reason
        // after the switch point.
        let h = History::parse(
            3,
            "1\t0/5000100\tno recovery target specified\n\n# a comment\n2\t0/9000000\tbefore 2000-01-01\n",
        )
        .unwrap();
        assert_eq!(h.target(), 3);
        assert_eq!(
            h.entries(),
            &[
                TimelineEntry { tli: 3, begin: Lsn(0x900_0000), end: None },
                TimelineEntry { tli: 2, begin: Lsn(0x500_0100), end: Some(Lsn(0x900_0000)) },
                TimelineEntry { tli: 1, begin: Lsn(0), end: Some(Lsn(0x500_0100)) },
            ]
        );
        assert_eq!(h.entry_of(Lsn(0x500_00FF)).tli, 1);
        assert_eq!(h.entry_of(Lsn(0x500_0100)).tli, 2);
        assert_eq!(h.entry_of(Lsn(0x1_0000_0000)).tli, 3);
        assert!(h.has(2) && !h.has(4));
        assert_eq!(History::single(1).entry_of(Lsn(7)).tli, 1);
    }

    #[test]
    fn refuses_what_the_server_refuses() {
        assert!(History::parse(2, "x\t0/1\n").unwrap_err().contains("numeric timeline ID"));
        assert!(History::parse(2, "1\n").unwrap_err().contains("switchpoint"));
        assert!(History::parse(3, "2\t0/1\tr\n1\t0/2\tr\n").unwrap_err().contains("increasing"));
        assert!(History::parse(2, "2\t0/1\tr\n").unwrap_err().contains("less than"));
        assert!(History::parse(3, "1\t0/9\tr\n2\t0/1\tr\n").unwrap_err().contains("backwards"));
    }

    #[test]
    fn file_names() {
        assert_eq!(history_file_name(10), "0000000A.history");
        assert_eq!(parse_history_file_name("0000000A.history"), Some(10));
        assert_eq!(parse_history_file_name("0000000A.partial"), None);
        assert_eq!(parse_history_file_name("000A.history"), None);
    }
}
