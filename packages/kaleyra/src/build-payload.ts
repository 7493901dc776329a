import type { SendTextRequest, WaSource } from './send-text-input.js';

/** The JSON body of Kaleyra's send-text call, in the shape of the reference's sample request. */
export interface SendTextPayload {
  messaging_object: {
    messaging_product: 'whatsapp';
    recipient_type: 'individual';
    to: string;
    type: 'text';
    text: { preview_url: boolean; body: string };
  };
  extra_info: { ref?: string; ref1?: string; ref2?: string; wa_source: WaSource };
}

/**
 * Build the request body. `preview_url` is a real boolean (the reference's sample quotes it, its
 * table says Boolean); ref fields that are undefined are left out; `wa_source` is always present.
 */
export function buildPayload(request: SendTextRequest): SendTextPayload {
  const { ref, ref1, ref2 } = request;
  const extraInfo: SendTextPayload['extra_info'] = {
    ...(ref === undefined ? {} : { ref }),
    ...(ref1 === undefined ? {} : { ref1 }),
    ...(ref2 === undefined ? {} : { ref2 }),
    wa_source: request.waSource,
  };
  return {
    messaging_object: {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: request.to,
      type: 'text',
      text: { preview_url: request.previewUrl, body: request.body },
    },
    extra_info: extraInfo,
  };
}
