//! CSV parsing: what is accepted, and one test per kind of malformed input, each checking that
//! the message names the file and the line (and the column where one field is at fault).

use backprop_data::{CsvOptions, DataError, LabelColumn, Labels, load_csv, parse_csv};

fn opts() -> CsvOptions {
    CsvOptions::default()
}

fn err(text: &str, opts: &CsvOptions) -> String {
    parse_csv(text, "data.csv", opts)
        .expect_err("malformed input must be an error")
        .to_string()
}

#[test]
fn header_names_features_and_string_labels_map_in_order_of_first_appearance() {
    let text = "a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n7,8,bird\n";
    let d = parse_csv(text, "data.csv", &opts()).unwrap();
    assert_eq!(d.features.shape(), &[4, 2]);
    assert_eq!(
        d.features.to_vec(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    );
    assert_eq!(d.labels, Some(vec![0, 1, 0, 2]));
    assert_eq!(d.class_names, vec!["dog", "cat", "bird"]);
    assert_eq!(d.feature_names, vec!["a", "b"]);
}

#[test]
fn label_column_by_name_by_index_and_from_the_end() {
    let text = "x,label,y\n1.5,b,2\n2.5,a,3\n";
    let mut o = opts();
    o.label_column = Some(LabelColumn::Name("label".into()));
    let by_name = parse_csv(text, "data.csv", &o).unwrap();
    assert_eq!(by_name.features.to_vec(), vec![1.5, 2.0, 2.5, 3.0]);
    assert_eq!(by_name.feature_names, vec!["x", "y"]);
    assert_eq!(by_name.class_names, vec!["b", "a"]);
    o.label_column = Some(LabelColumn::Index(1));
    assert_eq!(parse_csv(text, "data.csv", &o).unwrap(), by_name);
    o.label_column = Some(LabelColumn::Index(-2));
    assert_eq!(parse_csv(text, "data.csv", &o).unwrap(), by_name);
}

#[test]
fn index_labels_are_used_as_class_indices() {
    let o = CsvOptions {
        has_header: false,
        labels: Labels::Index,
        ..opts()
    };
    let d = parse_csv("0.5,2\n1.5,0\n", "data.csv", &o).unwrap();
    assert_eq!(d.labels, Some(vec![2, 0]));
    assert_eq!(d.class_names, vec!["0", "1", "2"]);
    assert_eq!(d.feature_names, vec!["column_1"]);
}

#[test]
fn fixed_labels_use_the_given_order() {
    let o = CsvOptions {
        labels: Labels::Fixed(vec!["no".into(), "yes".into()]),
        ..opts()
    };
    let d = parse_csv("x,y\n1,yes\n2,no\n", "data.csv", &o).unwrap();
    assert_eq!(d.labels, Some(vec![1, 0]));
    assert_eq!(d.class_names, vec!["no", "yes"]);
}

#[test]
fn without_a_label_column_every_column_is_a_feature() {
    let o = CsvOptions {
        label_column: None,
        ..opts()
    };
    let d = parse_csv("a,b\n1,2\n", "data.csv", &o).unwrap();
    assert_eq!(d.features.shape(), &[1, 2]);
    assert_eq!(d.labels, None);
    assert!(d.clone().into_classification().is_none());
}

#[test]
fn quotes_whitespace_crlf_blank_lines_and_other_delimiters() {
    let text = "\"a\";\" b;c \"\r\n\r\n 1.0 ;\"x;\"\"y\"\"\"\r\n2;plain\r\n\n";
    let o = CsvOptions {
        delimiter: b';',
        ..opts()
    };
    let d = parse_csv(text, "data.csv", &o).unwrap();
    assert_eq!(d.feature_names, vec!["a"]);
    assert_eq!(d.features.to_vec(), vec![1.0, 2.0]);
    assert_eq!(d.class_names, vec!["x;\"y\"", "plain"]);
}

#[test]
fn skip_lines_skips_a_leading_summary_line() {
    let o = CsvOptions {
        has_header: false,
        skip_lines: 1,
        labels: Labels::Index,
        ..opts()
    };
    let d = parse_csv("2,1,a,b\n0.5,1\n1.5,0\n", "data.csv", &o).unwrap();
    assert_eq!(d.features.to_vec(), vec![0.5, 1.5]);
}

#[test]
fn features_are_parsed_as_f64_then_rounded_to_f32() {
    let o = CsvOptions {
        label_column: None,
        has_header: false,
        ..opts()
    };
    let d = parse_csv("0.1,1e-3,-2.5E2\n", "data.csv", &o).unwrap();
    assert_eq!(
        d.features.to_vec(),
        vec![0.1f64 as f32, 1e-3f64 as f32, -250.0]
    );
}

#[test]
fn load_csv_reads_a_file() {
    let dir = env!("CARGO_TARGET_TMPDIR");
    let path = format!("{dir}/backprop_data_load_csv.csv");
    std::fs::write(&path, "f,label\n1,a\n2,b\n").unwrap();
    let d = load_csv(&path, &opts()).unwrap();
    assert_eq!(d.labels, Some(vec![0, 1]));
    std::fs::write(&path, "f,label\n1,a\nzz,b\n").unwrap();
    let e = load_csv(&path, &opts()).unwrap_err().to_string();
    assert_eq!(e, format!("{path}:3: column 1: \"zz\" is not a number"));
}

// One test per malformed input.

#[test]
fn a_missing_file_names_the_path() {
    let e = load_csv("/no/such/dir/iris.csv", &opts()).unwrap_err();
    assert!(matches!(e, DataError::Io { .. }));
    let msg = e.to_string();
    assert!(
        msg.starts_with("/no/such/dir/iris.csv: cannot read file: "),
        "{msg}"
    );
}

#[test]
fn a_non_number_names_line_and_column() {
    let text = "a,b,c,label\n1,2,3,x\n4,5,6,y\n7,8,abc,x\n";
    assert_eq!(
        err(text, &opts()),
        r#"data.csv:4: column 3: "abc" is not a number"#
    );
}

#[test]
fn an_empty_field_is_not_a_number() {
    assert_eq!(
        err("a,b,label\n1,,x\n", &opts()),
        r#"data.csv:2: column 2: "" is not a number"#
    );
}

#[test]
fn a_non_finite_number_is_rejected() {
    assert_eq!(
        err("a,b,label\n1,2,x\nNaN,2,y\n", &opts()),
        r#"data.csv:3: column 1: "NaN" is not a finite number"#
    );
    assert_eq!(
        err("a,label\n1e60,x\n", &opts()),
        r#"data.csv:2: column 1: "1e60" is not a finite number"#
    );
}

#[test]
fn a_short_row_names_the_line() {
    assert_eq!(
        err("a,b,label\n1,2,x\n3,y\n", &opts()),
        "data.csv:3: expected 3 columns (as in the header on line 1), found 2"
    );
}

#[test]
fn a_long_row_names_the_line() {
    let o = CsvOptions {
        has_header: false,
        ..opts()
    };
    assert_eq!(
        err("1,2,x\n\n3,4,5,y\n", &o),
        "data.csv:3: expected 3 columns (as in the first row on line 1), found 4"
    );
}

#[test]
fn an_empty_file_is_an_error() {
    assert_eq!(
        err("", &opts()),
        "data.csv:1: expected a data row, found end of file"
    );
    let o = CsvOptions {
        has_header: false,
        ..opts()
    };
    assert_eq!(
        err("\n  \n", &o),
        "data.csv:3: expected a data row, found end of file"
    );
}

#[test]
fn a_header_without_rows_is_an_error() {
    assert_eq!(
        err("a,b,label\n", &opts()),
        "data.csv:2: expected a data row, found end of file"
    );
}

#[test]
fn an_unknown_label_names_line_column_and_the_allowed_labels() {
    let o = CsvOptions {
        labels: Labels::Fixed(vec!["setosa".into(), "versicolor".into()]),
        ..opts()
    };
    assert_eq!(
        err("a,species\n1,setosa\n2,rose\n", &o),
        r#"data.csv:3: column 2: unknown label "rose" (expected one of ["setosa", "versicolor"])"#
    );
}

#[test]
fn a_label_that_is_not_a_class_index_is_an_error() {
    let o = CsvOptions {
        labels: Labels::Index,
        ..opts()
    };
    assert_eq!(
        err("a,y\n1,0\n2,-1\n", &o),
        r#"data.csv:3: column 2: "-1" is not a class index"#
    );
}

#[test]
fn an_unknown_label_column_name_is_an_error() {
    let o = CsvOptions {
        label_column: Some(LabelColumn::Name("species".into())),
        ..opts()
    };
    assert_eq!(
        err("a,kind\n1,x\n", &o),
        r#"data.csv:1: no column named "species" in the header ["a", "kind"]"#
    );
    let no_header = CsvOptions {
        has_header: false,
        ..o
    };
    assert!(err("1,x\n", &no_header).starts_with("data.csv:1: no column named"));
}

#[test]
fn a_label_column_index_out_of_range_is_an_error() {
    let o = CsvOptions {
        label_column: Some(LabelColumn::Index(-4)),
        ..opts()
    };
    assert_eq!(
        err("a,b,c\n1,2,3\n", &o),
        "data.csv:1: label column -4 is out of range for rows of 3 columns"
    );
    let o = CsvOptions {
        label_column: Some(LabelColumn::Index(3)),
        has_header: false,
        ..opts()
    };
    assert_eq!(
        err("\n1,2,3\n", &o),
        "data.csv:2: label column 3 is out of range for rows of 3 columns"
    );
}

#[test]
fn an_unterminated_quote_names_line_and_column() {
    assert_eq!(
        err("a,label\n1,x\n2,\"open\n", &opts()),
        "data.csv:3: column 2: unterminated quoted field"
    );
}

#[test]
fn text_after_a_closing_quote_is_an_error() {
    assert_eq!(
        err("a,label\n\"1\"2,x\n", &opts()),
        "data.csv:2: column 1: unexpected text after a closing quote"
    );
}

#[test]
#[should_panic(expected = "delimiter")]
fn a_quote_as_delimiter_panics() {
    let o = CsvOptions {
        delimiter: b'"',
        ..opts()
    };
    let _ = parse_csv("1\n", "data.csv", &o);
}
