package io.objectbroker.internal.protocol;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.Date;

/**
 * {@link Date} in the format of Kryo's own serializer (the time, a positive var long), without
 * its code for {@code java.sql} dates. Linking Kryo's loads {@code java.sql}, whose first class
 * sends the JDK looking for URL handlers in every jar: milliseconds of a one-shot process, for
 * types that are not registered anyway (only {@code java.util.Date} itself is).
 */
final class DateSerializer extends Serializer<Date> {

  @Override
  public void write(Kryo kryo, Output output, Date date) {
    output.writeVarLong(date.getTime(), true);
  }

  @Override
  public Date read(Kryo kryo, Input input, Class<? extends Date> type) {
    return new Date(input.readVarLong(true));
  }

  @Override
  public Date copy(Kryo kryo, Date original) {
    return new Date(original.getTime());
  }
}
