//! Times every stage of the pipeline on the same pages in one run, next to
//! the floors no generator can beat: reading the files, a bare pulldown-cmark
//! pass over them and a bare prettyplease pass over the generated syntax
//! trees. Run with `cargo bench -p ucwa-codegen --bench pipeline`.
//!
//! Pages: `$UCWA_BENCH_PAGES`, else `../shared/ucwa`, else `../shared/seeds`.
//! Iterations: `$BENCH_ITERATIONS` (default 15); each figure is the median.

use pulldown_cmark::{Options, Parser};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use ucwa_codegen::emit::{self, CrateOptions};
use ucwa_codegen::extract;
use ucwa_codegen::output::{self, FileTree};
use ucwa_codegen::pipeline;
use ucwa_codegen::schema::Document;

fn main() {
    let Some(pages_dir) = pages_dir() else {
        eprintln!("skipped: neither ../shared/ucwa nor ../shared/seeds exists and UCWA_BENCH_PAGES is unset");
        return;
    };
    let iterations: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(15)
        .max(1);
    let paths: Vec<PathBuf> = pipeline::collect_pages(std::slice::from_ref(&pages_dir))
        .expect("the page directory is readable")
        .into_iter()
        .map(|page| page.path)
        .collect();
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let options = CrateOptions::default();

    let mut timings = Timings::default();
    let mut last_output = None;
    for _ in 0..iterations {
        let pages = timings.time("read files", || read(&paths));
        timings.time("floor: bare pulldown-cmark", || bare_markdown_pass(&pages));
        let documents = timings.time("parse pages (extract)", || extract_all(&pages));
        let schema = timings.time("write YAML (to_yaml)", || {
            pipeline::schema_files(&documents)
        });
        let loaded = timings.time("load YAML (from_yaml)", || load(&schema));
        let sources = timings.time("build token streams", || {
            emit::crate_sources(&loaded, &options).expect("the corpus generates")
        });
        let trees = timings.time("probe: syn parse", || {
            emit::syntax_trees(&sources).expect("emitted code parses")
        });
        timings.time("floor: bare prettyplease", || bare_format_pass(&trees));
        let files = timings.time("prettyplease formatting", || {
            emit::format_sources(sources).expect("emitted code formats")
        });
        let out = scratch.path().join("crate");
        timings.time("write files", || write(&out, &files));
        last_output = Some((pages.len(), documents.len(), files));
    }

    let (pages, documents, files) = last_output.expect("at least one iteration");
    let lines: usize = files.values().map(|text| text.lines().count()).sum();
    println!(
        "{} pages ({}), {documents} documents, {} files / {lines} lines generated; median of {iterations} iterations",
        pages,
        pages_dir.display(),
        files.len()
    );
    timings.print();
}

fn pages_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("UCWA_BENCH_PAGES") {
        return Some(PathBuf::from(dir));
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    ["ucwa", "seeds"]
        .iter()
        .map(|name| shared.join(name))
        .find(|dir| dir.is_dir())
}

fn read(paths: &[PathBuf]) -> Vec<(PathBuf, Vec<u8>)> {
    paths
        .iter()
        .map(|path| {
            (
                path.clone(),
                std::fs::read(path).expect("a page is readable"),
            )
        })
        .collect()
}

/// What `pipeline::extract_pages` does after reading: one document per name, then cross-page resolution.
fn extract_all(pages: &[(PathBuf, Vec<u8>)]) -> Vec<Document> {
    let mut by_name = BTreeMap::new();
    for (path, bytes) in pages {
        if let Ok(extracted) = extract::extract_page(path, bytes) {
            by_name
                .entry(extracted.document.name.clone())
                .or_insert(extracted.document);
        }
    }
    let mut documents: Vec<Document> = by_name.into_values().collect();
    extract::resolve::across(&mut documents, &Default::default());
    documents
}

fn load(schema: &FileTree) -> Vec<Document> {
    schema
        .values()
        .map(|text| Document::from_yaml(text).expect("written YAML loads"))
        .collect()
}

fn write(out: &Path, files: &FileTree) {
    let target = output::Target {
        dir: out,
        contents: output::Contents::Crate,
        force: false,
    };
    output::write_tree(target, files).expect("the temporary directory is writable");
}

/// Every event of every page, tables on, as the markdown reader parses them.
fn bare_markdown_pass(pages: &[(PathBuf, Vec<u8>)]) -> usize {
    pages
        .iter()
        .filter_map(|(_, bytes)| std::str::from_utf8(bytes).ok())
        .map(|text| Parser::new_ext(text, Options::ENABLE_TABLES).count())
        .sum()
}

fn bare_format_pass(trees: &[syn::File]) -> usize {
    trees
        .iter()
        .map(|tree| prettyplease::unparse(tree).len())
        .sum()
}

#[derive(Default)]
struct Timings {
    /// Stage name → one duration per iteration, in the order stages first ran.
    stages: Vec<(&'static str, Vec<Duration>)>,
}

impl Timings {
    fn time<T>(&mut self, stage: &'static str, run: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let result = std::hint::black_box(run());
        let elapsed = start.elapsed();
        match self.stages.iter_mut().find(|(name, _)| *name == stage) {
            Some((_, samples)) => samples.push(elapsed),
            None => self.stages.push((stage, vec![elapsed])),
        }
        result
    }

    fn median(&self, stage: &str) -> Duration {
        let mut samples = self
            .stages
            .iter()
            .find(|(name, _)| *name == stage)
            .map(|(_, samples)| samples.clone())
            .unwrap_or_default();
        samples.sort();
        samples.get(samples.len() / 2).copied().unwrap_or_default()
    }

    fn print(&self) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("{:<28} {:>10}", "stage", "median ms");
        let mut total = Duration::ZERO;
        for (stage, _) in self
            .stages
            .iter()
            .filter(|(name, _)| !name.starts_with("floor") && !name.starts_with("probe"))
        {
            let median = self.median(stage);
            total += median;
            println!("{stage:<28} {:>10.1}", ms(median));
        }
        println!("{:<28} {:>10.1}", "total", ms(total));
        println!(
            "{:<28} {:>10.1}",
            "probe: syn parse",
            ms(self.median("probe: syn parse"))
        );
        let floor = self.median("read files")
            + self.median("floor: bare pulldown-cmark")
            + self.median("floor: bare prettyplease");
        for stage in ["floor: bare pulldown-cmark", "floor: bare prettyplease"] {
            println!("{stage:<28} {:>10.1}", ms(self.median(stage)));
        }
        println!("{:<28} {:>10.1}", "floor (read + parse + fmt)", ms(floor));
        println!(
            "{:<28} {:>10.2}",
            "ratio total / floor",
            ms(total) / ms(floor).max(f64::MIN_POSITIVE)
        );
    }
}
