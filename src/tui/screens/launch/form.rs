//! The Launch screen's form (SPEC §10 Launch): GPU type, GPU count, spot / on-demand,
//! container image, job name, and the region chosen among those a fresh check found fitting.
//!
//! Pure state and key-free operations (move focus, cycle a choice, edit text), so they can be
//! tested without a terminal; the screen maps keys onto them.

use crate::catalog::{Capacity, GpuType, ShapeError};
use crate::launch::RankedRegion;
use crate::tui::widgets::input::{Input, cursor_to_end};

/// The form's fields, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Gpu,
    Count,
    Capacity,
    Image,
    Name,
    Region,
}

impl Field {
    /// Every field in display order.
    pub const ALL: [Field; 6] = [
        Field::Gpu,
        Field::Count,
        Field::Capacity,
        Field::Image,
        Field::Name,
        Field::Region,
    ];

    /// The label shown left of the value.
    pub fn label(self) -> &'static str {
        match self {
            Field::Gpu => "GPU type",
            Field::Count => "GPUs",
            Field::Capacity => "Capacity",
            Field::Image => "Image",
            Field::Name => "Job name",
            Field::Region => "Region",
        }
    }

    /// True for the free-text fields (image, job name).
    pub fn is_text(self) -> bool {
        matches!(self, Field::Image | Field::Name)
    }
}

/// What the user is about to launch.
#[derive(Debug, Clone)]
pub struct Form {
    /// The GPU types to cycle through (the catalog's).
    pub gpu_types: Vec<GpuType>,
    pub gpu: GpuType,
    /// GPUs on the one replica; may be a count the type has no machine for (then
    /// [`Form::machine_type`] says which counts are valid).
    pub count: u32,
    pub capacity: Capacity,
    pub image: Input,
    /// Empty means the default name, made at submission.
    pub name: Input,
    /// The region to submit to: one that fits in the last ranking, if any does.
    pub region: Option<String>,
    pub focus: Field,
    /// True while the focused text field takes every key.
    pub editing: bool,
}

impl Default for Form {
    fn default() -> Self {
        Form::new(&GpuType::ALL, Capacity::Spot)
    }
}

impl Form {
    /// A form for the first of `gpu_types` (T4 when empty), one GPU, `capacity`.
    pub fn new(gpu_types: &[GpuType], capacity: Capacity) -> Self {
        let gpu_types = if gpu_types.is_empty() {
            GpuType::ALL.to_vec()
        } else {
            gpu_types.to_vec()
        };
        let gpu = gpu_types[0];
        Form {
            count: gpu.valid_counts(capacity)[0],
            gpu,
            gpu_types,
            capacity,
            image: Input::default(),
            name: Input::default(),
            region: None,
            focus: Field::Gpu,
            editing: false,
        }
    }

    /// The machine type for the chosen type, count and capacity, or why there is none
    /// (SPEC §3; on-demand H100 takes 8 GPUs only).
    pub fn machine_type(&self) -> Result<&'static str, ShapeError> {
        self.gpu.machine_type(self.count, self.capacity)
    }

    /// The text field in focus, if the focus is on one.
    pub fn text_mut(&mut self) -> Option<&mut Input> {
        match self.focus {
            Field::Image => Some(&mut self.image),
            Field::Name => Some(&mut self.name),
            _ => None,
        }
    }

    /// Move the focus to the next field (`forward`) or the previous one, wrapping; editing
    /// stops.
    pub fn move_focus(&mut self, forward: bool) {
        let n = Field::ALL.len();
        let i = Field::ALL
            .iter()
            .position(|f| *f == self.focus)
            .unwrap_or(0);
        let next = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        self.focus = Field::ALL[next];
        self.editing = false;
    }

    /// Start editing the focused field, the cursor at the end of its text (typing
    /// appends); false when it is not a text field.
    pub fn start_editing(&mut self) -> bool {
        self.editing = self.focus.is_text();
        if let Some(text) = self.text_mut() {
            cursor_to_end(text);
        }
        self.editing
    }

    /// Cycle the focused choice field forward or back: GPU type (keeping the count when the
    /// new type has it), count among the counts the type has for the capacity, capacity, or
    /// region among the `fitting` regions. False when the focus is on a text field or nothing
    /// changed.
    pub fn cycle(&mut self, forward: bool, fitting: &[&RankedRegion]) -> bool {
        fn step<T: PartialEq + Clone>(
            items: &[T],
            current: Option<&T>,
            forward: bool,
        ) -> Option<T> {
            if items.is_empty() {
                return None;
            }
            let n = items.len();
            let next = match current.and_then(|c| items.iter().position(|x| x == c)) {
                Some(i) if forward => (i + 1) % n,
                Some(i) => (i + n - 1) % n,
                None if forward => 0,
                None => n - 1,
            };
            Some(items[next].clone())
        }
        let before = self.choices();
        match self.focus {
            Field::Gpu => {
                if let Some(g) = step(&self.gpu_types, Some(&self.gpu), forward) {
                    self.gpu = g;
                }
            }
            Field::Count => {
                let valid = self.gpu.valid_counts(self.capacity);
                let next = if valid.contains(&self.count) {
                    step(valid, Some(&self.count), forward)
                } else if forward {
                    // From an impossible count, go to the next valid one above it.
                    valid
                        .iter()
                        .find(|c| **c > self.count)
                        .or(valid.first())
                        .copied()
                } else {
                    valid
                        .iter()
                        .rev()
                        .find(|c| **c < self.count)
                        .or(valid.last())
                        .copied()
                };
                if let Some(c) = next {
                    self.count = c;
                }
            }
            Field::Capacity => {
                self.capacity = match self.capacity {
                    Capacity::Spot => Capacity::OnDemand,
                    Capacity::OnDemand => Capacity::Spot,
                };
            }
            Field::Region => {
                let names: Vec<String> = fitting.iter().map(|r| r.region.clone()).collect();
                if let Some(r) = step(&names, self.region.as_ref(), forward) {
                    self.region = Some(r);
                }
            }
            Field::Image | Field::Name => return false,
        }
        self.choices() != before
    }

    /// The choice fields (what [`Form::cycle`] changes).
    fn choices(&self) -> (GpuType, u32, Capacity, Option<String>) {
        (self.gpu, self.count, self.capacity, self.region.clone())
    }

    /// Keep the chosen region among the `fitting` ones: the current choice if it still
    /// fits, else the first that fits (the ranking's best), else none.
    pub fn sync_region(&mut self, fitting: &[&RankedRegion]) {
        let keep = self
            .region
            .as_ref()
            .is_some_and(|r| fitting.iter().any(|f| &f.region == r));
        if !keep {
            self.region = fitting.first().map(|r| r.region.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Limit;

    fn fits(region: &str) -> RankedRegion {
        RankedRegion::fitting(region, Limit::Finite(8))
    }

    #[test]
    fn focus_wraps_and_stops_editing() {
        let mut f = Form::default();
        f.move_focus(false);
        assert_eq!(f.focus, Field::Region);
        assert!(!f.start_editing(), "the region is a choice");
        f.move_focus(false);
        f.move_focus(false);
        assert_eq!(f.focus, Field::Image);
        assert!(f.start_editing());
        f.move_focus(true);
        assert_eq!((f.focus, f.editing), (Field::Name, false));
    }

    #[test]
    fn re_entering_a_text_field_puts_the_cursor_at_the_end() {
        let mut f = Form {
            focus: Field::Image,
            image: Input::from("gcr.io/p/train:1").with_cursor(4),
            ..Form::default()
        };
        assert!(f.start_editing());
        assert_eq!(f.image.cursor(), "gcr.io/p/train:1".len());
    }

    #[test]
    fn choices_cycle_within_what_is_valid() {
        let mut f = Form::default();
        assert_eq!((f.gpu, f.count), (GpuType::T4, 1));
        f.focus = Field::Count;
        assert!(f.cycle(true, &[]));
        assert!(f.cycle(true, &[]));
        assert_eq!(f.count, 4);
        assert!(f.cycle(true, &[]));
        assert_eq!(f.count, 1, "T4 has 1, 2, 4");
        assert!(f.cycle(false, &[]));
        assert_eq!(f.count, 4);

        f.focus = Field::Gpu;
        for _ in 0..4 {
            f.cycle(true, &[]);
        }
        assert_eq!((f.gpu, f.count), (GpuType::H200, 4), "the count is kept");
        assert!(f.machine_type().unwrap_err().to_string().contains("[8]"));
        f.focus = Field::Count;
        assert!(f.cycle(true, &[]));
        assert_eq!(f.count, 8, "the next valid count above");
        assert!(!f.cycle(true, &[]), "H200 has only 8");
        assert_eq!(f.machine_type(), Ok("a3-ultragpu-8g"));

        f.focus = Field::Capacity;
        f.cycle(false, &[]);
        assert_eq!(f.capacity, Capacity::OnDemand);
        f.focus = Field::Image;
        assert!(!f.cycle(true, &[]));
    }

    /// On demand, H100 comes only as a3-highgpu-8g: 1, 2 and 4 are spot-only shapes.
    #[test]
    fn on_demand_h100_counts_are_eight_only() {
        let mut f = Form::new(&[GpuType::H100], Capacity::OnDemand);
        assert_eq!(f.count, 8, "the first count that works on demand");
        f.focus = Field::Capacity;
        f.cycle(true, &[]);
        f.focus = Field::Count;
        f.cycle(true, &[]);
        assert_eq!((f.capacity, f.count), (Capacity::Spot, 1));
        assert_eq!(f.machine_type(), Ok("a3-highgpu-1g"));
        f.focus = Field::Capacity;
        f.cycle(true, &[]);
        let e = f.machine_type().unwrap_err().to_string();
        assert!(e.contains("spot and flex-start only"), "{e}");
        f.focus = Field::Count;
        assert!(f.cycle(true, &[]));
        assert_eq!(f.count, 8);
        assert!(!f.cycle(true, &[]), "8 is the only on-demand count");
    }

    #[test]
    fn the_region_is_one_that_fits() {
        let (a, b) = (fits("us-west1"), fits("us-central1"));
        let mut f = Form::default();
        f.sync_region(&[&a, &b]);
        assert_eq!(f.region.as_deref(), Some("us-west1"), "the best by default");
        f.focus = Field::Region;
        assert!(f.cycle(true, &[&a, &b]));
        assert_eq!(f.region.as_deref(), Some("us-central1"));
        f.sync_region(&[&a, &b]);
        assert_eq!(
            f.region.as_deref(),
            Some("us-central1"),
            "a choice that fits stays"
        );
        f.sync_region(&[&a]);
        assert_eq!(f.region.as_deref(), Some("us-west1"));
        f.sync_region(&[]);
        assert_eq!(f.region, None);
        assert!(!f.cycle(true, &[]));
    }
}
