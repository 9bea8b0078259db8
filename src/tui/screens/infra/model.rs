//! What the Infra screen shows and where its cursor is: the GPU rows and columns and the C3
//! rows left by the `/` filter, the C3 sort, and the cell cursor moving over them. Pure:
//! no drawing, unit-tested below.

use crossterm::event::{KeyCode, KeyEvent};

use crate::catalog::{Limit, best_c3_machine};
use crate::store::Cached;
use crate::tui::screens::View;
use crate::tui::selection::Selection;
use crate::tui::widgets::filter::Filter;
use crate::tui::widgets::quota_cell::cell_value;
use crate::tui::widgets::sort::{SortBy, SortKey};

/// The C3 table's sort orders (`o` cycles them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum C3Sort {
    /// The catalog's order (the regions' preference order).
    Preference,
    /// Region name, A to Z.
    Region,
    /// Free vCPUs, most first; unknown usage after every known free, then no value.
    Free,
}

impl SortKey for C3Sort {
    const ALL: &'static [C3Sort] = &[C3Sort::Preference, C3Sort::Region, C3Sort::Free];

    fn label(self) -> &'static str {
        match self {
            C3Sort::Preference => "preference",
            C3Sort::Region => "region",
            C3Sort::Free => "free vCPUs",
        }
    }
}

/// The rows and columns shown, as indices into the catalog's lists (in the order shown).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shown {
    /// GPU types (rows of the GPU table).
    pub types: Vec<usize>,
    /// GPU regions (columns of the GPU table).
    pub regions: Vec<usize>,
    /// C3 regions (rows of the C3 table), sorted.
    pub c3: Vec<usize>,
}

/// What a C3 region's free vCPUs can build: the best pool machine that fits them, sorted
/// high first. `(2, free)` when free is known, `(1, limit)` when only the limit is (usage
/// unknown), `(0, 0)` with no value.
fn free_rank(cached: &Cached) -> (u8, i64) {
    let amount = |l: Limit| match l {
        Limit::Unlimited => i64::MAX,
        Limit::Finite(n) => n,
    };
    match cell_value(cached) {
        Some(v) => match v.free {
            Some(free) => (2, amount(free)),
            None => (1, amount(v.limit)),
        },
        None => (0, 0),
    }
}

/// The best private-pool machine for a C3 region's **free** vCPUs (`None` when none fits, or
/// the usage is unknown), and whether the free vCPUs are known.
pub fn c3_machine(cached: &Cached) -> (Option<&'static str>, bool) {
    match cell_value(cached).and_then(|v| v.free) {
        Some(free) => (best_c3_machine(free), true),
        None => (None, false),
    }
}

impl Shown {
    /// The rows and columns `filter` lets through, C3 sorted by `sort`.
    ///
    /// GPU: the types whose name matches and the regions whose name matches; when only one
    /// side matches, every entry of the other shows (`h100` shows the H100 row in every
    /// region, `west` every type in the western regions). C3: the regions that match.
    pub fn new(view: &View, filter: &Filter, sort: SortBy) -> Shown {
        let catalog = view.catalog();
        let matching = |names: &mut dyn Iterator<Item = &str>| -> Vec<usize> {
            names
                .enumerate()
                .filter(|(_, n)| filter.matches(n))
                .map(|(i, _)| i)
                .collect()
        };
        let mut types = matching(&mut catalog.gpu_types.iter().map(|g| g.name()));
        let mut regions = matching(&mut catalog.gpu_regions.iter().map(String::as_str));
        if filter.is_active() {
            if types.is_empty() && !regions.is_empty() {
                types = (0..catalog.gpu_types.len()).collect();
            } else if regions.is_empty() && !types.is_empty() {
                regions = (0..catalog.gpu_regions.len()).collect();
            }
            if types.is_empty() || regions.is_empty() {
                types.clear();
                regions.clear();
            }
        }
        let mut c3 = matching(&mut catalog.c3_regions.iter().map(String::as_str));
        let cached = view.c3_cached();
        match sort.key::<C3Sort>() {
            C3Sort::Preference => {}
            C3Sort::Region => {
                c3.sort_by(|a, b| catalog.c3_regions[*a].cmp(&catalog.c3_regions[*b]))
            }
            C3Sort::Free => {
                c3.sort_by_key(|i| std::cmp::Reverse(cached.get(*i).map_or((0, 0), free_rank)))
            }
        }
        Shown { types, regions, c3 }
    }
}

/// Which table the cursor is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Gpu,
    C3,
}

/// The cell cursor: a GPU cell (row and column among those shown) or a C3 row.
#[derive(Debug, Default)]
pub struct Cursor {
    pub focus: Focus,
    pub gpu_row: usize,
    pub gpu_col: usize,
    /// The C3 row among those shown, and the window of rows kept around it.
    pub c3: Selection,
}

impl Cursor {
    /// The cursor kept inside what is shown (the filter may have narrowed it), moved to the
    /// other table when its own is empty.
    pub fn clamp(&mut self, shown: &Shown) {
        let gpu_empty = shown.types.is_empty() || shown.regions.is_empty();
        self.gpu_row = self.gpu_row.min(shown.types.len().saturating_sub(1));
        self.gpu_col = self.gpu_col.min(shown.regions.len().saturating_sub(1));
        if self.c3.selected() >= shown.c3.len() {
            self.c3.select(shown.c3.len().saturating_sub(1));
        }
        match self.focus {
            Focus::Gpu if gpu_empty && !shown.c3.is_empty() => self.focus = Focus::C3,
            Focus::C3 if shown.c3.is_empty() && !gpu_empty => self.focus = Focus::Gpu,
            _ => {}
        }
    }

    /// The lists shown changed from `before` to `after` (the filter): the cursor stays on the
    /// same GPU type, region and C3 region where they are still shown, else it is clamped.
    pub fn follow(&mut self, before: &Shown, after: &Shown) {
        let find = |list: &[usize], old: &[usize], at: usize| {
            old.get(at).and_then(|id| list.iter().position(|i| i == id))
        };
        if let Some(p) = find(&after.types, &before.types, self.gpu_row) {
            self.gpu_row = p;
        }
        if let Some(p) = find(&after.regions, &before.regions, self.gpu_col) {
            self.gpu_col = p;
        }
        if let Some(p) = find(&after.c3, &before.c3, self.c3.selected()) {
            self.c3.select(p);
        }
        self.clamp(after);
    }

    /// Move by `key` (hjkl / arrows; g/G, PgUp/PgDn in the C3 table). `side_by_side` says
    /// how the tables are laid out: `l` / → leaves the GPU table's last column for the C3
    /// table when they sit side by side, `j` / ↓ its last row when stacked (and back).
    /// True when the key was a move.
    pub fn key(&mut self, key: &KeyEvent, shown: &Shown, side_by_side: bool) -> bool {
        self.clamp(shown);
        let (left, right, up, down) = (
            matches!(key.code, KeyCode::Char('h') | KeyCode::Left),
            matches!(key.code, KeyCode::Char('l') | KeyCode::Right),
            matches!(key.code, KeyCode::Char('k') | KeyCode::Up),
            matches!(key.code, KeyCode::Char('j') | KeyCode::Down),
        );
        let has_c3 = !shown.c3.is_empty();
        let has_gpu = !shown.types.is_empty() && !shown.regions.is_empty();
        match self.focus {
            Focus::Gpu => {
                let last_col = shown.regions.len().saturating_sub(1);
                let last_row = shown.types.len().saturating_sub(1);
                if left {
                    self.gpu_col = self.gpu_col.saturating_sub(1);
                } else if up {
                    self.gpu_row = self.gpu_row.saturating_sub(1);
                } else if right && self.gpu_col < last_col {
                    self.gpu_col += 1;
                } else if down && self.gpu_row < last_row {
                    self.gpu_row += 1;
                } else if (right && side_by_side || down && !side_by_side) && has_c3 {
                    self.focus = Focus::C3;
                    self.c3.select(self.c3.offset().min(shown.c3.len() - 1));
                } else {
                    return left || right || up || down;
                }
                true
            }
            Focus::C3 => {
                let to_gpu =
                    (left && side_by_side) || (up && !side_by_side && self.c3.selected() == 0);
                if to_gpu && has_gpu {
                    self.focus = Focus::Gpu;
                    if up {
                        self.gpu_row = shown.types.len() - 1;
                    }
                    return true;
                }
                left || right || self.c3.key(key, shown.c3.len())
            }
        }
    }

    /// The index in [`View::checks`] of the check under the cursor, if any.
    pub fn check_index(&self, shown: &Shown, view: &View) -> Option<usize> {
        let catalog = view.catalog();
        match self.focus {
            Focus::Gpu => {
                let t = *shown.types.get(self.gpu_row)?;
                let r = *shown.regions.get(self.gpu_col)?;
                Some(t * catalog.gpu_regions.len() + r)
            }
            Focus::C3 => Some(view.gpu_len() + *shown.c3.get(self.c3.selected())?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn shown(types: usize, regions: usize, c3: usize) -> Shown {
        Shown {
            types: (0..types).collect(),
            regions: (0..regions).collect(),
            c3: (0..c3).collect(),
        }
    }

    #[test]
    fn side_by_side_the_cursor_crosses_right_and_back_left() {
        let s = shown(5, 4, 18);
        let mut c = Cursor::default();
        for _ in 0..3 {
            assert!(c.key(&key(KeyCode::Char('l')), &s, true));
        }
        assert_eq!((c.focus, c.gpu_col), (Focus::Gpu, 3));
        assert!(c.key(&key(KeyCode::Right), &s, true));
        assert_eq!(c.focus, Focus::C3);
        c.key(&key(KeyCode::Char('G')), &s, true);
        assert_eq!(c.c3.selected(), 17);
        c.key(&key(KeyCode::Char('h')), &s, true);
        assert_eq!((c.focus, c.gpu_col), (Focus::Gpu, 3), "back where it was");
        // `j` at the GPU table's last row stays there when the C3 table is beside it.
        for _ in 0..9 {
            c.key(&key(KeyCode::Char('j')), &s, true);
        }
        assert_eq!((c.focus, c.gpu_row), (Focus::Gpu, 4));
    }

    #[test]
    fn stacked_the_cursor_crosses_down_and_back_up() {
        let s = shown(5, 4, 18);
        let mut c = Cursor::default();
        for _ in 0..5 {
            c.key(&key(KeyCode::Down), &s, false);
        }
        assert_eq!((c.focus, c.c3.selected()), (Focus::C3, 0));
        c.key(&key(KeyCode::Char('j')), &s, false);
        assert_eq!(c.c3.selected(), 1);
        c.key(&key(KeyCode::Char('k')), &s, false);
        c.key(&key(KeyCode::Char('k')), &s, false);
        assert_eq!(
            (c.focus, c.gpu_row),
            (Focus::Gpu, 4),
            "up from the first C3 row"
        );
        // → at the last column stays in the GPU table.
        for _ in 0..6 {
            c.key(&key(KeyCode::Char('l')), &s, false);
        }
        assert_eq!((c.focus, c.gpu_col), (Focus::Gpu, 3));
        assert!(!c.key(&key(KeyCode::Char('x')), &s, false));
    }

    #[test]
    fn a_narrowed_list_pulls_the_cursor_in_or_across() {
        let mut c = Cursor {
            gpu_row: 4,
            gpu_col: 3,
            ..Cursor::default()
        };
        c.clamp(&shown(1, 4, 18));
        assert_eq!((c.gpu_row, c.gpu_col), (0, 3));
        c.clamp(&shown(0, 0, 3));
        assert_eq!(c.focus, Focus::C3, "no GPU cell left: the C3 table");
        c.c3.select(10);
        c.clamp(&shown(5, 4, 3));
        assert_eq!(c.c3.selected(), 2);
        c.clamp(&shown(5, 4, 0));
        assert_eq!(c.focus, Focus::Gpu);
    }

    #[test]
    fn the_cursor_follows_its_row_when_the_filter_changes() {
        let all = shown(5, 4, 18);
        let mut c = Cursor {
            gpu_row: 3,
            gpu_col: 2,
            ..Cursor::default()
        };
        c.c3.select(9);
        // Only type 3, regions 1 and 2, C3 regions 8 and 9 left.
        let narrowed = Shown {
            types: vec![3],
            regions: vec![1, 2],
            c3: vec![8, 9],
        };
        c.follow(&all, &narrowed);
        assert_eq!((c.gpu_row, c.gpu_col, c.c3.selected()), (0, 1, 1));
        // And back: the same cells in the whole lists.
        c.follow(&narrowed, &all);
        assert_eq!((c.gpu_row, c.gpu_col, c.c3.selected()), (3, 2, 9));
    }
}
