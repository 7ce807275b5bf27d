//! State dicts and safetensors files, against the PyTorch tutorial's initial weights
//! (`tests/data/init.safetensors`, written by PyTorch for a 4-8-9-3 model).

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::collections::BTreeMap;
use std::path::PathBuf;

use backprop_autograd::Var;
use backprop_nn::{
    Linear, Module, StateDictError, load_safetensors, read_safetensors, save_safetensors,
};
use backprop_tensor::{Float, Rng, Tensor};

const INIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/init.safetensors");

struct Model<T: Float = f32> {
    fc1: Linear<T>,
    fc2: Linear<T>,
    out: Linear<T>,
}

impl<T: Float> Model<T> {
    fn new(h1: usize, h2: usize, seed: u64) -> Self {
        let mut rng = Rng::seed_from_u64(seed);
        Model {
            fc1: Linear::new(4, h1, &mut rng),
            fc2: Linear::new(h1, h2, &mut rng),
            out: Linear::new(h2, 3, &mut rng),
        }
    }
}

impl<T: Float> Module<T> for Model<T> {
    fn forward(&self, x: &Var<T>) -> Var<T> {
        let x = self.fc1.forward(x).relu();
        let x = self.fc2.forward(&x).relu();
        self.out.forward(&x)
    }
    fn children(&self) -> Vec<(&str, &dyn Module<T>)> {
        vec![("fc1", &self.fc1), ("fc2", &self.fc2), ("out", &self.out)]
    }
}

/// A fresh path in the temp dir (tests run in parallel, so each gets its own directory).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backprop-nn-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("model.safetensors")
}

#[test]
fn pytorch_initial_weights_load_into_the_tutorial_model() {
    let model = Model::<f32>::new(8, 9, 0);
    load_safetensors(&model, INIT).unwrap();
    let file = read_safetensors::<f32>(INIT).unwrap();
    let keys: Vec<&String> = file.keys().collect();
    assert_eq!(
        keys,
        [
            "fc1.bias",
            "fc1.weight",
            "fc2.bias",
            "fc2.weight",
            "out.bias",
            "out.weight"
        ]
    );
    for (name, p) in model.named_parameters() {
        assert_eq!(p.value(), file[&name], "{name}");
    }
    // PyTorch's default init bounds 1/√fan_in hold for the loaded values too.
    assert!(model.fc1.weight.value().abs().max_all().item() <= 0.5);
    assert_eq!(
        model.forward(&Var::new(Tensor::zeros(&[2, 4]))).shape(),
        [2, 3]
    );
}

#[test]
fn a_different_architecture_gets_the_named_shape_error() {
    let model = Model::<f32>::new(9, 8, 0);
    let before = model.fc1.weight.value();
    let err = load_safetensors(&model, INIT).unwrap_err();
    assert_eq!(
        err.to_string(),
        "fc1.weight: expected shape [9, 4], found [8, 4]"
    );
    assert!(matches!(err, StateDictError::ShapeMismatch { .. }));
    // Nothing was changed.
    assert_eq!(model.fc1.weight.value(), before);
}

#[test]
fn missing_and_unexpected_keys_are_named() {
    let model = Model::<f32>::new(8, 9, 0);
    let full: BTreeMap<String, Tensor<f32>> = read_safetensors(INIT).unwrap();

    let mut missing = full.clone();
    missing.remove("fc2.bias");
    let err = model.load_state_dict(&missing, true).unwrap_err();
    assert_eq!(err.to_string(), "missing key `fc2.bias` in the state dict");

    let mut extra = full.clone();
    extra.insert("fc4.weight".into(), Tensor::zeros(&[2, 2]));
    let err = model.load_state_dict(&extra, true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected key `fc4.weight` in the state dict"
    );

    // Non-strict loading skips both but still loads the rest.
    missing.insert("fc4.weight".into(), Tensor::zeros(&[2, 2]));
    model.load_state_dict(&missing, false).unwrap();
    assert_eq!(model.fc1.weight.value(), full["fc1.weight"]);
}

#[test]
fn round_trip_and_f32_file_into_f64_model() {
    let path = scratch("round-trip");
    let a = Model::<f32>::new(8, 9, 1);
    save_safetensors(&a, &path).unwrap();
    let b = Model::<f32>::new(8, 9, 2);
    assert_ne!(a.state_dict(), b.state_dict());
    load_safetensors(&b, &path).unwrap();
    assert_eq!(a.state_dict(), b.state_dict());

    // The file is standard safetensors: F32 tensors under PyTorch's names.
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let view = st.tensor("fc2.weight").unwrap();
    assert_eq!(view.dtype(), safetensors::Dtype::F32);
    assert_eq!(view.shape(), [9, 8]);

    // No temporary file is left next to it.
    let dir = path.parent().unwrap();
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["model.safetensors"]);

    let wide = Model::<f64>::new(8, 9, 3);
    load_safetensors(&wide, &path).unwrap();
    assert_eq!(
        wide.out.bias.as_ref().unwrap().value(),
        a.out.bias.as_ref().unwrap().value().cast::<f64>()
    );
    let path64 = dir.join("wide.safetensors");
    save_safetensors(&wide, &path64).unwrap();
    let bytes = std::fs::read(&path64).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(
        st.tensor("fc1.weight").unwrap().dtype(),
        safetensors::Dtype::F64
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unreadable_files_and_wrong_dtypes_name_the_path() {
    let model = Model::<f32>::new(8, 9, 0);
    let err = load_safetensors(&model, "/nonexistent/dir/w.safetensors").unwrap_err();
    assert!(matches!(err, StateDictError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("/nonexistent/dir/w.safetensors: "),
        "{err}"
    );

    let path = scratch("bad-files");
    std::fs::write(&path, b"definitely not safetensors").unwrap();
    let err = load_safetensors(&model, &path).unwrap_err();
    assert!(matches!(err, StateDictError::Format { .. }));
    assert!(
        err.to_string().contains("not a valid safetensors file"),
        "{err}"
    );

    let ints: Vec<u8> = (0..8i64).flat_map(|v| v.to_le_bytes()).collect();
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::I64, vec![8], &ints).unwrap();
    let bytes = safetensors::serialize([("fc1.bias", view)], None).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let err = load_safetensors(&model, &path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: tensor `fc1.bias` has dtype I64, expected F32 or F64",
            path.display()
        )
    );

    let err = save_safetensors(&model, "/nonexistent/dir/out.safetensors").unwrap_err();
    assert!(matches!(err, StateDictError::Io { .. }));
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// PyTorch writes BatchNorm's `num_batches_tracked` as an int64 scalar: it loads (as the
/// module's float type), while any other I64 tensor is still refused.
#[test]
fn pytorch_int64_batch_counter_loads_into_batch_norm() {
    use backprop_nn::BatchNorm1d;
    let path = scratch("bn_counter.safetensors");
    let floats = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let (mean, var, weight, bias) = (
        floats(&[0.5, -1.0]),
        floats(&[2.0, 0.25]),
        floats(&[1.5, 0.5]),
        floats(&[0.1, 0.2]),
    );
    let count = 7i64.to_le_bytes().to_vec();
    fn view(dtype: safetensors::Dtype, shape: Vec<usize>, data: &[u8]) -> TensorView<'_> {
        TensorView::new(dtype, shape, data).unwrap()
    }
    use safetensors::Dtype::{F32, I64};
    use safetensors::tensor::TensorView;
    let file = |count_dtype| {
        safetensors::serialize(
            [
                ("running_mean", view(F32, vec![2], &mean)),
                ("running_var", view(F32, vec![2], &var)),
                ("weight", view(F32, vec![2], &weight)),
                ("bias", view(F32, vec![2], &bias)),
                ("num_batches_tracked", view(count_dtype, vec![], &count)),
            ],
            None,
        )
        .unwrap()
    };
    std::fs::write(&path, file(I64)).unwrap();
    let bn = BatchNorm1d::<f32>::new(2);
    load_safetensors(&bn, &path).unwrap();
    assert_eq!(bn.num_batches_tracked(), Some(7));
    assert_eq!(bn.running_mean().unwrap().to_vec(), vec![0.5, -1.0]);

    // The same bytes under a parameter's name are refused.
    let bytes = safetensors::serialize([("weight", view(I64, vec![], &count))], None).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let err = load_safetensors(&bn, &path).unwrap_err();
    assert!(err.to_string().contains("`weight` has dtype I64"), "{err}");
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
