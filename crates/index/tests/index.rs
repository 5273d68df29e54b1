//! Adding, replacing, removing, searching and saving vectors.

use motis_index::{EXACT_BELOW, IndexError, SearchMode, VectorIndex};

const DIM: usize = 64;

/// Deterministic pseudo-random unit vectors (xorshift), so tests need no RNG crate.
fn unit_vectors(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32 - 0.5
    };
    (0..n)
        .map(|_| {
            let v: Vec<f32> = (0..DIM).map(|_| next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}

fn filled(vectors: &[Vec<f32>]) -> VectorIndex {
    let index = VectorIndex::new(DIM).unwrap();
    for (i, v) in vectors.iter().enumerate() {
        index.insert(i as u64 + 1, v).unwrap();
    }
    index
}

#[test]
fn every_vector_finds_itself_first() {
    let vectors = unit_vectors(300, 1);
    let index = filled(&vectors);
    assert_eq!(index.len(), 300);
    for (i, v) in vectors.iter().enumerate() {
        let hits = index.search(v, 3, SearchMode::Auto).unwrap();
        assert_eq!(hits[0].id, i as u64 + 1);
        assert!(
            hits[0].score > 0.999,
            "f16 storage keeps cosine to itself near 1: {}",
            hits[0].score
        );
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score), "best first");
    }
}

#[test]
fn graph_search_agrees_with_exhaustive_search_on_a_large_index() {
    let vectors = unit_vectors(EXACT_BELOW + 500, 2);
    let index = filled(&vectors);
    let queries = unit_vectors(50, 3);
    let mut agree = 0;
    for q in &queries {
        let graph = index.search(q, 1, SearchMode::Auto).unwrap();
        let exact = index.search(q, 1, SearchMode::Exact).unwrap();
        agree += usize::from(graph[0].id == exact[0].id);
    }
    println!("graph search found the exact nearest for {agree} of 50 queries");
    assert!(
        agree >= 45,
        "graph search found the exact nearest for only {agree} of 50 queries"
    );
}

#[test]
fn insert_replaces_and_remove_forgets() {
    let vectors = unit_vectors(20, 4);
    let index = filled(&vectors);
    index.insert(1, &vectors[5]).unwrap();
    assert_eq!(index.len(), 20);
    let hits = index.search(&vectors[5], 2, SearchMode::Exact).unwrap();
    let ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
    assert!(ids.contains(&1) && ids.contains(&6), "{ids:?}");
    assert!(index.remove(6).unwrap());
    assert!(!index.remove(6).unwrap());
    assert!(!index.contains(6));
    assert!(
        index
            .search(&vectors[5], 20, SearchMode::Exact)
            .unwrap()
            .iter()
            .all(|h| h.id != 6)
    );
}

#[test]
fn saved_index_loads_with_the_same_answers_and_no_temporary_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motis-demo.usearch");
    let vectors = unit_vectors(100, 5);
    let index = filled(&vectors);
    index.save(&path).unwrap();
    index.remove(1).unwrap();
    index.save(&path).unwrap();
    let loaded = VectorIndex::load(&path, DIM).unwrap();
    assert_eq!(loaded.len(), 99);
    assert!(!loaded.contains(1));
    for v in &vectors[1..10] {
        assert_eq!(
            loaded.search(v, 5, SearchMode::Exact).unwrap(),
            index.search(v, 5, SearchMode::Exact).unwrap()
        );
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_damaged_or_foreign_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.usearch");
    filled(&unit_vectors(50, 6)).save(&path).unwrap();
    let wrong_dimension = VectorIndex::load(&path, DIM * 2).err().unwrap();
    assert!(
        matches!(wrong_dimension, IndexError::Corrupt { .. }),
        "{wrong_dimension:?}"
    );
    assert!(matches!(
        VectorIndex::map(&path, DIM * 2).err().unwrap(),
        IndexError::Corrupt { .. }
    ));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    for truncated in [
        VectorIndex::load(&path, DIM).err().unwrap(),
        VectorIndex::map(&path, DIM).err().unwrap(),
    ] {
        assert!(matches!(truncated, IndexError::Corrupt { .. }), "{truncated:?}");
        assert!(truncated.to_string().contains("index.usearch"), "{truncated}");
    }
    let missing = dir.path().join("missing.usearch");
    for error in [
        VectorIndex::load(&missing, DIM).err().unwrap(),
        VectorIndex::map(&missing, DIM).err().unwrap(),
    ] {
        assert!(
            matches!(&error, IndexError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
            "{error:?}"
        );
    }
}

#[test]
fn a_mapped_index_answers_as_the_loaded_one_refuses_changes_and_outlives_a_newer_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.usearch");
    let vectors = unit_vectors(EXACT_BELOW + 200, 8);
    let index = filled(&vectors);
    index.save(&path).unwrap();
    let loaded = VectorIndex::load(&path, DIM).unwrap();
    let mapped = VectorIndex::map(&path, DIM).unwrap();
    assert!(mapped.is_mapped() && !loaded.is_mapped());
    assert_eq!(mapped.len(), vectors.len());
    for v in unit_vectors(20, 9).iter().chain(&vectors[..20]) {
        for mode in [SearchMode::Auto, SearchMode::Exact] {
            assert_eq!(mapped.search(v, 10, mode).unwrap(), loaded.search(v, 10, mode).unwrap());
        }
    }
    assert!(matches!(mapped.insert(1, &vectors[0]), Err(IndexError::ReadOnly)));
    assert!(matches!(mapped.remove(1), Err(IndexError::ReadOnly)));
    assert!(mapped.contains(1));

    // A save renames a new file over the mapped one: the mapping keeps the old file.
    index.remove(1).unwrap();
    index.save(&path).unwrap();
    assert!(mapped.contains(1));
    assert_eq!(mapped.search(&vectors[0], 1, SearchMode::Exact).unwrap()[0].id, 1);
    assert!(!VectorIndex::map(&path, DIM).unwrap().contains(1));
}

#[test]
fn wrong_dimensions_are_an_error_not_a_crash() {
    let index = VectorIndex::new(DIM).unwrap();
    assert!(matches!(
        index.insert(1, &[0.5; 3]),
        Err(IndexError::Dimensions { expected: DIM, got: 3 })
    ));
    assert!(matches!(
        index.search(&[0.5; 3], 1, SearchMode::Auto),
        Err(IndexError::Dimensions { .. })
    ));
    assert!(
        index
            .search(&unit_vectors(1, 7)[0], 5, SearchMode::Auto)
            .unwrap()
            .is_empty()
    );
}
