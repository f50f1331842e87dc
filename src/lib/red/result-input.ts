/**
 * counter-rate and threshold-alert take a poll result in its JSON form (a scaled-out
 * worker's result, read from MQTT by an mqtt in node) as if the poll node had sent it
 * here: the message gets the poll node's fields back (common/result-form.ts), so the
 * aggregator's flow needs no function node.
 */
import { decodeResultForm, isResultForm } from '../common/result-form';
import type { Msg } from './node-facade';

/**
 * Turns a message whose payload is a result form into the poll node's message, in place;
 * any other message is left alone. Throws a ResultFormError naming what is wrong.
 */
export function unwrapResult(msg: Msg): void {
  if (!isResultForm(msg.payload)) return;
  const fields = decodeResultForm(msg.payload);
  msg.topic = fields.topic;
  if (fields.device !== undefined) msg.device = fields.device;
  if (fields.target !== undefined) msg.target = fields.target;
  msg.snmp = fields.snmp;
  msg.payload = fields.payload;
  if (fields.types !== undefined) msg.types = fields.types;
  if (fields.varbinds !== undefined) msg.varbinds = fields.varbinds;
  if (fields.error !== undefined) msg.error = fields.error;
}
