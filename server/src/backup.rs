//! `memory backup FILE` and `memory restore FILE`: the configured storage to a file and back, in
//! the storage-neutral format of [`mcp_oauth_core::backup`] (`-` for standard output or input).
//!
//! A backup is written beside its final name and renamed when complete, readable by its owner
//! only: an interrupted backup never replaces a good one, and the file holds signing keys.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use mcp_oauth_core::backup::{self, Header};
use mcp_oauth_core::{Error, PluginSettings, UnixTime};
use serde::Serialize;

use crate::app::{Existing, open_persistent_storage, setting};
use crate::config::StorageSettings;

/// What the memory storage's operator is told.
const MEMORY_STORAGE: &str = "the memory storage lives and dies with the server process";
/// The file name meaning standard output or input.
const STANDARD_STREAM: &str = "-";

/// Writes every kept record of the configured storage to `file`; the line to print.
pub async fn backup(
    file: &Path,
    settings: &StorageSettings,
    plugin_settings: PluginSettings,
    now: UnixTime,
) -> Result<String, Error> {
    let storage = open_persistent_storage(
        settings,
        &plugin_settings,
        MEMORY_STORAGE,
        Existing::Required,
    )
    .await?;
    if file.as_os_str() == STANDARD_STREAM {
        let mut out = BufWriter::new(std::io::stdout().lock());
        let summary = write_all(storage.as_ref(), now, &mut out, file).await?;
        // The records went to standard output: the summary goes beside them.
        eprintln!("backed up {summary}");
        return Ok(String::new());
    }
    let partial = partial_name(file);
    let written = async {
        let mut out = BufWriter::new(create_private(&partial).map_err(|e| unwritable(file, &e))?);
        let summary = write_all(storage.as_ref(), now, &mut out, file).await?;
        out.into_inner()
            .map_err(|e| unwritable(file, e.error()))?
            .sync_all()
            .map_err(|e| unwritable(file, &e))?;
        std::fs::rename(&partial, file).map_err(|e| unwritable(file, &e))?;
        Ok(summary)
    }
    .await;
    match written {
        Ok(summary) => Ok(format!("backed up {summary} to {}\n", file.display())),
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(error)
        }
    }
}

/// Restores `file` into the configured storage, which must be empty; the line to print.
pub async fn restore(
    file: &Path,
    settings: &StorageSettings,
    plugin_settings: PluginSettings,
    now: UnixTime,
) -> Result<String, Error> {
    // The whole file is read and checked before the storage is even opened.
    let (header, records) = if file.as_os_str() == STANDARD_STREAM {
        read_all(std::io::stdin().lock(), file)?
    } else {
        let input = File::open(file).map_err(|e| {
            setting(
                "FILE",
                &file.display().to_string(),
                &format!("a readable backup ({e})"),
            )
        })?;
        read_all(BufReader::new(input), file)?
    };
    let storage = open_persistent_storage(
        settings,
        &plugin_settings,
        MEMORY_STORAGE,
        Existing::MayCreate,
    )
    .await?;
    let summary = backup::import(storage.as_ref(), &records, now).await?;
    Ok(format!(
        "restored {summary} from the backup of {}\n",
        crate::audit::timestamp(header.created_at)
    ))
}

/// The header, then each record on its line.
async fn write_all(
    storage: &dyn mcp_oauth_core::Storage,
    now: UnixTime,
    out: &mut impl Write,
    file: &Path,
) -> Result<backup::Summary, Error> {
    write_line(out, &Header::new(now), file)?;
    let summary = backup::export(storage, now, |record| write_line(out, record, file)).await?;
    out.flush().map_err(|e| unwritable(file, &e))?;
    Ok(summary)
}

/// `value` as one line of JSON.
fn write_line(out: &mut impl Write, value: &impl Serialize, file: &Path) -> Result<(), Error> {
    serde_json::to_writer(&mut *out, value)
        .map_err(std::io::Error::other)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| unwritable(file, &e))
}

/// A backup read whole, or the one-line reason it cannot be restored.
fn read_all(input: impl BufRead, file: &Path) -> Result<(Header, Vec<backup::Record>), Error> {
    backup::read(input).map_err(|unreadable| {
        setting(
            "FILE",
            &file.display().to_string(),
            &format!("a backup written by memory backup ({unreadable})"),
        )
    })
}

/// A new file only its owner may read, replacing any earlier partial one.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Where a backup is written until it is complete: `FILE.partial`.
fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn unwritable(file: &Path, error: &std::io::Error) -> Error {
    setting(
        "FILE",
        &file.display().to_string(),
        &format!("a file the backup can be written to ({error})"),
    )
}
