/** Not API: the wire protocol (frames, handshake, serialization). See {@link io.objectbroker.internal.protocol.FrameDecoder}. */
package io.objectbroker.internal.protocol;
