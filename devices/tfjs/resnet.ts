// The ResNet-50 forward pass (torchvision resnet50, v1.5: the stride sits on the 3×3 conv), written
// from the published architecture. The block layout (stages, blocks per stage, widths) is read from
// the weight names and shapes, so the CI-sized variant with fewer blocks or channels runs unchanged.
// Computes channels-last (NHWC, tfjs' native layout); the input and weights arrive NCHW / OIHW.
import { tf } from './runtime.js';
import { WeightError, type Weights } from './weights.js';

const BN_EPS = 1e-5;

interface Conv {
  filter: tf.Tensor4D;
  stride: number;
  pad: number;
}
interface Norm {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  scale: tf.Tensor1D;
  offset: tf.Tensor1D;
}
interface Block {
  conv1: Conv;
  bn1: Norm;
  conv2: Conv;
  bn2: Norm;
  conv3: Conv;
  bn3: Norm;
  downsample: { conv: Conv; bn: Norm } | null;
}

/** Weights rearranged once at load time (filters to HWIO); the forward pass reads only this. */
export interface ResnetPlan {
  readonly stem: { conv: Conv; bn: Norm };
  readonly blocks: readonly Block[];
  /** fc weight transposed to [features, classes]. */
  readonly fc: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  /** Tensors the plan created (the caller disposes them with the session). */
  readonly owned: readonly tf.Tensor[];
}

export function planResnet(w: Weights): ResnetPlan {
  const owned: tf.Tensor[] = [];
  const conv = (name: string, stride: number, pad: number): Conv => {
    const t = w.get(name);
    if (t.rank !== 4) throw new WeightError(`initializer "${name}" has rank ${t.rank}, expected a 4-D conv weight [out, in, kh, kw]`);
    const filter = tf.transpose(t as tf.Tensor4D, [2, 3, 1, 0]);
    owned.push(filter);
    w.release(name);
    return { filter, stride, pad };
  };
  const norm = (prefix: string): Norm => ({
    mean: w.get(prefix + '.running_mean') as tf.Tensor1D,
    variance: w.get(prefix + '.running_var') as tf.Tensor1D,
    scale: w.get(prefix + '.weight') as tf.Tensor1D,
    offset: w.get(prefix + '.bias') as tf.Tensor1D,
  });
  const stem = { conv: conv('conv1.weight', 2, 3), bn: norm('bn1') };
  const blocks: Block[] = [];
  for (let stage = 1; w.has(`layer${stage}.0.conv1.weight`); stage++) {
    for (let j = 0; w.has(`layer${stage}.${j}.conv1.weight`); j++) {
      const p = `layer${stage}.${j}.`;
      const stride = stage > 1 && j === 0 ? 2 : 1;
      blocks.push({
        conv1: conv(p + 'conv1.weight', 1, 0),
        bn1: norm(p + 'bn1'),
        conv2: conv(p + 'conv2.weight', stride, 1),
        bn2: norm(p + 'bn2'),
        conv3: conv(p + 'conv3.weight', 1, 0),
        bn3: norm(p + 'bn3'),
        downsample: w.has(p + 'downsample.0.weight')
          ? { conv: conv(p + 'downsample.0.weight', stride, 0), bn: norm(p + 'downsample.1') }
          : null,
      });
    }
  }
  if (blocks.length === 0) throw new WeightError('the model has no "layer1.0.conv1.weight" initializer, so it holds no ResNet blocks');
  const fcWeight = w.get('fc.weight');
  if (fcWeight.rank !== 2) throw new WeightError(`initializer "fc.weight" has rank ${fcWeight.rank}, expected [classes, features]`);
  const fc = { weight: w.linear('fc.weight', fcWeight.shape[0]!, fcWeight.shape[1]!), bias: w.get('fc.bias') as tf.Tensor1D };
  return { stem, blocks, fc, owned };
}

/** input [b, 3, H, W] NCHW → logits [b, classes]. Call inside tf.tidy. */
export function resnetForward(plan: ResnetPlan, input: tf.Tensor4D): tf.Tensor2D {
  let x = tf.transpose(input, [0, 2, 3, 1]); // NHWC
  x = tf.relu(bn(convolve(x, plan.stem.conv), plan.stem.bn));
  x = tf.maxPool(x, 3, 2, 1); // padding counts as −∞, as torch's MaxPool2d
  for (const blk of plan.blocks) {
    let y = tf.relu(bn(convolve(x, blk.conv1), blk.bn1));
    y = tf.relu(bn(convolve(y, blk.conv2), blk.bn2));
    y = bn(convolve(y, blk.conv3), blk.bn3);
    const shortcut = blk.downsample ? bn(convolve(x, blk.downsample.conv), blk.downsample.bn) : x;
    x = tf.relu(tf.add(y, shortcut) as tf.Tensor4D);
  }
  const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D; // global average pool → [b, C]
  return tf.add(tf.matMul(pooled, plan.fc.weight), plan.fc.bias);
}

function convolve(x: tf.Tensor4D, c: Conv): tf.Tensor4D {
  return tf.conv2d(x, c.filter, c.stride, c.pad);
}

/** Inference-mode batch norm: (x − mean) / √(var + eps) · scale + offset, per channel. */
function bn(x: tf.Tensor4D, n: Norm): tf.Tensor4D {
  return tf.batchNorm(x, n.mean, n.variance, n.offset, n.scale, BN_EPS);
}
