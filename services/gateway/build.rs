//! Builds the web app (`web/`) and embeds it in the gateway. The app is built with npm
//! (`npm ci` when its modules are missing or older than the lockfile, then `npm run
//! build`) into a cache under the target directory keyed by a hash of the app's sources,
//! so an unchanged app is never built twice. `WEB_DIST_DIR` names an app built elsewhere
//! (the container image builds it in a Node stage). Without Node.js — or when the build
//! fails — the gateway still builds, and its `/` says what happened.

use std::{
    env, fs,
    hash::{DefaultHasher, Hash, Hasher},
    path::{Path, PathBuf},
    process::Command,
};

/// The app's sources: what its build depends on.
const SOURCES: [&str; 8] = [
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.js",
    "tsconfig.json",
    "compress.mjs",
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest.join("../../web");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets it"));
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", web.join(source).display());
    }
    println!("cargo:rerun-if-env-changed=WEB_DIST_DIR");
    let built = match env::var_os("WEB_DIST_DIR") {
        Some(dist) => Ok(PathBuf::from(dist)),
        None => build(&web, &out),
    };
    let code = match built {
        Ok(dist) => embed(&dist),
        Err(why) => {
            println!("cargo:warning=the web app is not embedded: {why}");
            format!("pub static ASSETS: &[Asset] = &[];\npub const NOT_BUILT: &str = {why:?};\n")
        }
    };
    fs::write(out.join("web_assets.rs"), code).expect("write the asset table");
}

/// Builds the app unless its build is cached: where the built app is.
fn build(web: &Path, out: &Path) -> Result<PathBuf, String> {
    if !web.join("package.json").exists() {
        return Err("there is no web/ directory".into());
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().is_err() {
        return Err("Node.js and npm were not found: install Node.js 20 or later, then build again".into());
    }
    let mut hasher = DefaultHasher::new();
    for source in SOURCES {
        hash_tree(&web.join(source), &mut hasher);
    }
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let target = out.ancestors().nth(4).ok_or("no target directory above OUT_DIR")?;
    let cache = target.join("web").join(format!("{:016x}", hasher.finish()));
    if cache.join("index.html").exists() {
        return Ok(cache);
    }
    let modules = web.join("node_modules/.package-lock.json");
    let stale = match (fs::metadata(&modules), fs::metadata(web.join("package-lock.json"))) {
        (Ok(installed), Ok(lock)) => installed.modified().ok() < lock.modified().ok(),
        _ => true,
    };
    if stale {
        run(Command::new(npm).args(["ci", "--no-audit", "--no-fund"]).current_dir(web), "npm ci")?;
    }
    let building = cache.with_extension("building");
    let _ = fs::remove_dir_all(&building);
    run(Command::new(npm).args(["run", "build"]).env("SHOP_WEB_OUT", &building).current_dir(web), "npm run build")?;
    let _ = fs::remove_dir_all(&cache);
    fs::rename(&building, &cache).map_err(|e| format!("keep the built app: {e}"))?;
    Ok(cache)
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let done = command.output().map_err(|e| format!("{what}: {e}"))?;
    if done.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&done.stderr);
    let tail: Vec<&str> = said.lines().rev().take(20).collect();
    for line in tail.iter().rev() {
        println!("cargo:warning={what}: {line}");
    }
    Err(format!("{what} failed ({})", done.status))
}

fn hash_tree(path: &Path, hasher: &mut DefaultHasher) {
    path.to_string_lossy().hash(hasher);
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path).into_iter().flatten().flatten().map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            hash_tree(&entry, hasher);
        }
    } else if let Ok(bytes) = fs::read(path) {
        bytes.hash(hasher);
    }
}

/// The Rust table of every file of the built app (each `.gz` beside its original).
fn embed(dist: &Path) -> String {
    let mut files = Vec::new();
    collect(dist, dist, &mut files);
    files.sort();
    let mut code = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (path, file) in &files {
        if path.ends_with(".gz") {
            continue;
        }
        let gz = file.with_file_name(format!("{}.gz", file.file_name().unwrap_or_default().to_string_lossy()));
        let gzip =
            if gz.exists() { format!("Some(include_bytes!({:?}))", gz.display().to_string()) } else { "None".into() };
        code.push_str(&format!(
            "    Asset {{ path: {path:?}, body: include_bytes!({:?}), gzip: {gzip} }},\n",
            file.display().to_string()
        ));
    }
    code.push_str("];\npub const NOT_BUILT: &str = \"\";\n");
    code
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let web_path = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
            files.push((web_path, path));
        }
    }
}
