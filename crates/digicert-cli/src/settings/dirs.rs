//! Where files go by default: the XDG base directories, else folders in the home directory.

use std::path::PathBuf;

/// The directory `variable` names if it is absolute, else `under_home` in the home
/// directory; `None` if neither is set.
pub fn base_dir(variable: &str, under_home: &str) -> Option<PathBuf> {
    std::env::var_os(variable)
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| home().map(|home| home.join(under_home)))
}

/// The home directory, from `HOME`.
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|home| home.is_absolute())
}
