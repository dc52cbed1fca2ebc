package io.objectbroker.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.DefaultSerializers;
import java.util.Date;
import org.junit.jupiter.api.Test;

class DateSerializerTest {

  @Test
  void writesTheBytesOfKryosOwnDateSerializer() {
    Kryo kryo = new Kryo();
    for (long time : new long[] {0, 1_700_000_000_123L, -86_400_000L, Long.MAX_VALUE}) {
      Date date = new Date(time);
      Output ours = new Output(16);
      new DateSerializer().write(kryo, ours, date);
      Output theirs = new Output(16);
      new DefaultSerializers.DateSerializer().write(kryo, theirs, date);
      assertThat(ours.toBytes()).isEqualTo(theirs.toBytes());
      assertThat(new DateSerializer().read(kryo, new Input(theirs.toBytes()), Date.class))
          .isEqualTo(date);
    }
  }

  @Test
  void aCopyIsEqualButNotTheSame() {
    Date date = new Date(42);
    Date copy = new DateSerializer().copy(new Kryo(), date);
    assertThat(copy).isEqualTo(date).isNotSameAs(date);
  }
}
