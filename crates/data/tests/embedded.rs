//! The embedded datasets: shapes, class counts and known rows.

use backprop_data::{CsvOptions, Dataset, LabelColumn, Labels, digits, iris, load_csv, wine};

fn row(data: &backprop_data::ClassificationDataset, i: usize) -> Vec<f32> {
    data.get(i).0.to_vec()
}

#[test]
fn iris_has_150_rows_of_4_features_and_50_per_species() {
    let d = iris();
    assert_eq!(d.features.shape(), &[150, 4]);
    assert_eq!(d.len(), 150);
    assert_eq!(d.class_names, vec!["setosa", "versicolor", "virginica"]);
    assert_eq!(d.class_counts(), vec![50, 50, 50]);
    assert_eq!(d.feature_names.len(), 4);
    assert_eq!(d.feature_names[0], "sepal length (cm)");
}

#[test]
fn iris_rows_are_in_file_order() {
    let d = iris();
    assert_eq!(row(&d, 0), vec![5.1, 3.5, 1.4, 0.2]);
    assert_eq!(d.labels[0], 0);
    assert_eq!(row(&d, 149), vec![5.9, 3.0, 5.1, 1.8]);
    assert_eq!(d.labels[149], 2);
    // The file is sorted by species: 50 setosa, then versicolor, then virginica.
    assert!(d.labels[..50].iter().all(|&l| l == 0));
    assert!(d.labels[50..100].iter().all(|&l| l == 1));
    // scikit-learn's corrected rows 35 and 38 (1-based), not the UCI transcription errors.
    assert_eq!(row(&d, 34), vec![4.9, 3.1, 1.5, 0.2]);
    assert_eq!(row(&d, 37), vec![4.9, 3.6, 1.4, 0.1]);
}

#[test]
fn wine_has_178_rows_of_13_features_in_3_classes() {
    let d = wine();
    assert_eq!(d.features.shape(), &[178, 13]);
    assert_eq!(d.class_names, vec!["class_0", "class_1", "class_2"]);
    assert_eq!(d.class_counts(), vec![59, 71, 48]);
    assert_eq!(d.feature_names.len(), 13);
    assert_eq!(d.feature_names[12], "proline");
    let first = row(&d, 0);
    assert_eq!(first[0], 14.23);
    assert_eq!(first[12], 1065.0);
    assert_eq!(d.labels[177], 2);
}

#[test]
fn digits_has_1797_images_of_64_pixels_in_0_to_16() {
    let d = digits();
    assert_eq!(d.features.shape(), &[1797, 64]);
    assert_eq!(d.num_classes(), 10);
    assert_eq!(d.class_names[7], "7");
    // Per-digit counts of scikit-learn's copy.
    assert_eq!(
        d.class_counts(),
        vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    let pixels = d.features.to_vec();
    assert!(
        pixels
            .iter()
            .all(|&p| (0.0..=16.0).contains(&p) && p.fract() == 0.0)
    );
    assert_eq!(row(&d, 0)[..8], [0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]);
    assert_eq!(d.labels[..3], [0, 1, 2]);
    assert_eq!(d.feature_names[9], "pixel_1_1");
}

#[test]
fn embedded_iris_matches_the_file_loaded_with_load_csv() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/iris.csv");
    let opts = CsvOptions {
        has_header: false,
        skip_lines: 1,
        label_column: Some(LabelColumn::Last),
        labels: Labels::Index,
        ..CsvOptions::default()
    };
    let loaded = load_csv(path, &opts).unwrap();
    let d = iris();
    assert_eq!(loaded.features, d.features);
    assert_eq!(loaded.labels.as_deref(), Some(&d.labels[..]));
}
