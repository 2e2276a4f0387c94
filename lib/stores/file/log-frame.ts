import { crc32 } from 'node:zlib';

/**
 * Every record of the log is one frame:
 *
 *     length (u32 LE, payload bytes) | crc32 (u32 LE, over type + payload) | type (u8) | payload
 *
 * The checksum is what tells a torn write (the process or machine died mid-record) from a record, so
 * recovery can stop at the last whole record instead of reading garbage as an event.
 */
export const FRAME_HEADER_BYTES = 9;

/** Fills in the header of a frame whose payload is written: `frame` spans exactly header and payload. */
export function sealFrame(frame: Buffer, type: number): Buffer {
  frame.writeUInt32LE(frame.length - FRAME_HEADER_BYTES, 0);
  frame[8] = type;
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}
