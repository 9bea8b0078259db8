//! The config file (SPEC §9): read (capped), parsed with the line of every error, and the
//! catalog and durations it describes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{Origins, first_duplicate};
use crate::catalog::{Capacity, Catalog, GpuType};
use crate::durations::parse_duration;
use crate::exit::Failure;
use crate::origin::Origin;
use crate::tui::theme::ThemeName;

/// The config file as written; every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub project: Option<Spanned<String>>,
    pub gpu_types: Option<Spanned<Vec<String>>>,
    pub gpu_regions: Option<Spanned<Vec<String>>>,
    pub c3_regions: Option<Spanned<Vec<String>>>,
    pub capacity: Option<Spanned<String>>,
    pub interval: Option<Spanned<String>>,
    pub ttl: Option<Spanned<String>>,
    pub refresh: Option<Spanned<String>>,
    pub check_timeout: Option<Spanned<String>>,
    pub log_dir: Option<PathBuf>,
    pub serviceusage_url: Option<String>,
    pub aiplatform_url: Option<String>,
    pub monitoring_url: Option<String>,
    /// `redis://...`, `rediss://...` or `memory` (SPEC §11).
    pub store: Option<Spanned<String>>,
    /// `false`: neither load nor save the snapshot.
    pub snapshot: Option<Spanned<bool>>,
    /// The TUI's colours: `default`, `light` or `mono` (`NO_COLOR` wins over it).
    pub theme: Option<Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn bad(path: &Path, text: &str, span: std::ops::Range<usize>, what: &str) -> Failure {
    Failure::usage(format!(
        "config file {} line {}: {what}",
        path.display(),
        line_of(text, span.start)
    ))
}

/// Read and parse a config file. Errors (exit 2) name the file and line.
pub fn load_file(path: &Path) -> Result<(FileConfig, String), Failure> {
    let text = read_capped(path)
        .map_err(|e| Failure::usage(format!("cannot read config file {}: {e}", path.display())))?;
    let parsed: FileConfig = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| line_of(&text, s.start)).unwrap_or(0);
        Failure::usage(format!(
            "config file {} line {line}: {}",
            path.display(),
            e.message()
        ))
    })?;
    Ok((parsed, text))
}

/// Longest config file read: a settings file is a few hundred bytes.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Read at most [`MAX_CONFIG_BYTES`] of `path` as UTF-8; a larger file is an error, not a
/// start-up that reads without bound.
fn read_capped(path: &Path) -> std::io::Result<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::other(format!(
            "it is larger than {} KiB; a quota-tui config file is a few lines of TOML",
            MAX_CONFIG_BYTES / 1024
        )));
    }
    Ok(text)
}

pub(super) fn file_duration(
    v: &Option<Spanned<String>>,
    path: &Path,
    text: &str,
    key: &str,
) -> Result<Option<Duration>, Failure> {
    match v {
        None => Ok(None),
        Some(s) => parse_duration(s.get_ref())
            .map(Some)
            .map_err(|e| bad(path, text, s.span(), &format!("{key}: {e}"))),
    }
}

fn file_regions(
    v: &Option<Spanned<Vec<String>>>,
    path: &Path,
    text: &str,
    key: &str,
) -> Result<Option<Vec<String>>, Failure> {
    let Some(list) = v else { return Ok(None) };
    for r in list.get_ref() {
        let ok = !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(bad(
                path,
                text,
                list.span(),
                &format!("{key}: '{r}' is not a region name (like us-central1)"),
            ));
        }
    }
    if list.get_ref().is_empty() {
        return Err(bad(path, text, list.span(), &format!("{key} is empty")));
    }
    if let Some(d) = first_duplicate(list.get_ref(), |r| r.clone()) {
        return Err(bad(
            path,
            text,
            list.span(),
            &format!("{key} lists '{d}' more than once; list each region once"),
        ));
    }
    Ok(Some(list.get_ref().clone()))
}

/// The catalog the file describes (defaults where it is silent), recording the origins of
/// `gpu_types`, `gpu_regions`, `c3_regions` and `capacity`.
pub(super) fn file_catalog(
    file: &FileConfig,
    path: &Path,
    text: &str,
    origins: &mut Origins,
) -> Result<Catalog, Failure> {
    let in_file = Origin::ConfigFile {
        path: path.to_path_buf(),
    };
    let mut catalog = Catalog::default();
    if let Some(types) = &file.gpu_types {
        let mut parsed = Vec::new();
        for t in types.get_ref() {
            parsed.push(
                t.parse::<GpuType>()
                    .map_err(|e| bad(path, text, types.span(), &format!("gpu_types: {e}")))?,
            );
        }
        if let Some(d) = first_duplicate(types.get_ref(), |t| t.parse::<GpuType>().ok()) {
            return Err(bad(
                path,
                text,
                types.span(),
                &format!("gpu_types lists '{d}' more than once; list each GPU type once"),
            ));
        }
        catalog.gpu_types = parsed;
        origins.gpu_types = in_file.clone();
    }
    if let Some(r) = file_regions(&file.gpu_regions, path, text, "gpu_regions")? {
        catalog.gpu_regions = r;
        origins.gpu_regions = in_file.clone();
    }
    if let Some(r) = file_regions(&file.c3_regions, path, text, "c3_regions")? {
        catalog.c3_regions = r;
        origins.c3_regions = in_file.clone();
    }
    if let Some(c) = &file.capacity {
        catalog.capacity = match c.get_ref().as_str() {
            "spot" => Capacity::Spot,
            "on-demand" | "on_demand" => Capacity::OnDemand,
            other => {
                return Err(bad(
                    path,
                    text,
                    c.span(),
                    &format!("capacity: '{other}' is neither \"spot\" nor \"on-demand\""),
                ));
            }
        };
        origins.capacity = in_file;
    }
    Ok(catalog)
}

/// The file's `theme`, if any: `default`, `light` or `mono`; anything else is an error
/// naming the line.
pub(super) fn file_theme(
    file: &FileConfig,
    path: &Path,
    text: &str,
) -> Result<Option<ThemeName>, Failure> {
    match &file.theme {
        None => Ok(None),
        Some(t) => t
            .get_ref()
            .parse()
            .map(Some)
            .map_err(|e| bad(path, text, t.span(), &format!("theme: {e}"))),
    }
}
