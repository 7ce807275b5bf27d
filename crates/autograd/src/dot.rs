//! The graph behind a value in Graphviz DOT.

use std::collections::HashSet;
use std::fmt::Write as _;

use backprop_tensor::Float;

use crate::Var;

impl<T: Float> Var<T> {
    /// The recorded graph behind this value in Graphviz DOT: one node per value (op name and
    /// output shape; leaves show their name if set), one edge per input. Render with
    /// `dot -Tsvg graph.dot > graph.svg`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_tensor::Tensor;
    /// let x = Var::parameter(Tensor::<f32>::ones(&[2]));
    /// x.set_name("x");
    /// let dot = x.exp().sum().to_dot();
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("exp [2]") && dot.contains("x [2]"));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph backprop {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        let mut seen = HashSet::new();
        let mut stack = vec![self.clone()];
        while let Some(v) = stack.pop() {
            if !seen.insert(v.id()) {
                continue;
            }
            let label = match (v.is_leaf(), v.name()) {
                (true, Some(n)) => n,
                (_, Some(n)) => format!("{n} = {}", v.op_name()),
                (true, None) if v.requires_grad() => "parameter".to_string(),
                (true, None) => "input".to_string(),
                (false, None) => v.op_name().to_string(),
            };
            let style = if v.is_leaf() { ", style=rounded" } else { "" };
            let _ = writeln!(
                out,
                "  n{} [label=\"{label} {:?}\"{style}];",
                v.id(),
                v.shape()
            );
            for input in v.inputs() {
                let _ = writeln!(out, "  n{} -> n{};", input.id(), v.id());
                stack.push(input);
            }
        }
        out.push_str("}\n");
        out
    }
}
