// ResNet with bottleneck blocks (torchvision resnet50, v1.5: the stride sits on the 3×3 conv).
// BatchNormalization nodes are kept (nothing folded) so every initializer maps 1:1 to torchvision's
// state_dict names.
import { GraphBuilder, float, type ModelPlan } from '../onnx/graph.js';
import type { Fill } from '../onnx/weights.js';

export interface ResNetConfig {
  /** Bottleneck blocks per stage: [3, 4, 6, 3] for ResNet-50. */
  layers: [number, number, number, number];
  /** Channels of the stem and of stage 1's bottleneck (64 for ResNet-50); stage k uses width·2^(k−1). */
  width: number;
  num_classes: number;
  image_size: number;
}

/** Bottleneck expansion: a block's output has 4× its inner width. */
export const EXPANSION = 4;
const BN_EPS = 1e-5;
const ONES: Fill = { kind: 'constant', value: 1 };
const ZEROS: Fill = { kind: 'constant', value: 0 };

/** Conv weights ~ N(0, 1/fan_in): keeps activations O(1) through the BN-as-identity dummy network. */
const convFill = (cin: number, k: number): Fill => ({ kind: 'normal', std: Math.sqrt(1 / (cin * k * k)) });

/**
 * Learnable parameters, as torchvision counts them (BN weight and bias; running mean/var are buffers,
 * though the ONNX file stores them as initializers too).
 */
export function resnetParams(c: ResNetConfig): number {
  let n = 3 * c.width * 49 + 2 * c.width;
  let inC = c.width;
  c.layers.forEach((blocks, stage) => {
    const w = c.width * 2 ** stage;
    for (let j = 0; j < blocks; j++) {
      n += inC * w + 2 * w + w * w * 9 + 2 * w + w * w * EXPANSION + 2 * w * EXPANSION;
      if (j === 0) n += inC * w * EXPANSION + 2 * w * EXPANSION;
      inC = w * EXPANSION;
    }
  });
  return n + inC * c.num_classes + c.num_classes;
}

export function buildResNet(name: string, c: ResNetConfig, metadata: Record<string, string>): ModelPlan {
  const g = new GraphBuilder(name);
  const input = g.input('input', 'float32', ['batch_size', 3, c.image_size, c.image_size]);

  const conv = (x: string, wName: string, cin: number, cout: number, k: number, stride: number) =>
    g.op('Conv', [x, g.weight(wName, [cout, cin, k, k], convFill(cin, k))], {
      kernel_shape: [k, k],
      strides: [stride, stride],
      pads: Array(4).fill(Math.floor(k / 2)),
    });
  const bn = (x: string, prefix: string, ch: number) =>
    g.op(
      'BatchNormalization',
      [
        x,
        g.weight(`${prefix}.weight`, [ch], ONES),
        g.weight(`${prefix}.bias`, [ch], ZEROS),
        g.weight(`${prefix}.running_mean`, [ch], ZEROS),
        g.weight(`${prefix}.running_var`, [ch], ONES),
      ],
      { epsilon: float(BN_EPS) },
    );
  const relu = (x: string) => g.op('Relu', [x]);

  let x = relu(bn(conv(input, 'conv1.weight', 3, c.width, 7, 2), 'bn1', c.width));
  x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let inC = c.width;
  c.layers.forEach((blocks, stage) => {
    const w = c.width * 2 ** stage;
    for (let j = 0; j < blocks; j++) {
      const p = `layer${stage + 1}.${j}`;
      const stride = j === 0 && stage > 0 ? 2 : 1;
      x = g.scope(p, () => {
        let y = relu(bn(conv(x, `${p}.conv1.weight`, inC, w, 1, 1), `${p}.bn1`, w));
        y = relu(bn(conv(y, `${p}.conv2.weight`, w, w, 3, stride), `${p}.bn2`, w));
        y = bn(conv(y, `${p}.conv3.weight`, w, w * EXPANSION, 1, 1), `${p}.bn3`, w * EXPANSION);
        const identity =
          j === 0 ? bn(conv(x, `${p}.downsample.0.weight`, inC, w * EXPANSION, 1, stride), `${p}.downsample.1`, w * EXPANSION) : x;
        return relu(g.add(y, identity));
      });
      inC = w * EXPANSION;
    }
  });
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: 1 });
  const fcW = g.weight('fc.weight', [c.num_classes, inC], { kind: 'normal', std: Math.sqrt(1 / (3 * inC)) });
  const logits = g.op('Gemm', [pooled, fcW, g.weight('fc.bias', [c.num_classes], ZEROS)], { transB: 1 });
  g.output(logits, 'logits', 'float32', ['batch_size', c.num_classes]);
  return g.plan({ docString: `${name}: ResNet (bottleneck, v1.5) with seeded dummy weights (npuval model zoo)`, metadata });
}
