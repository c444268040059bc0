"""A .tflite file as the flatbuffer object API of the schema that TFLM's package ships: read,
change fields, write back, keeping every field emu does not touch."""

from __future__ import annotations


def schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated

    return schema_py_generated


def read(model_bytes: bytes):
    return schema().ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)


def write(model) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def opcode_number(code) -> int:
    # older files keep small opcodes only in the deprecated byte field
    return max(code.builtinCode, code.deprecatedBuiltinCode)


def opcode_names(model) -> list[str]:
    names = {v: k for k, v in vars(schema().BuiltinOperator).items() if isinstance(v, int)}
    return [names.get(opcode_number(c), "") for c in model.operatorCodes]


def with_opcodes_in_both_fields(model_bytes: bytes) -> bytes:
    """Older converters leave the wide builtin_code field at 0 and give the opcode in the
    deprecated byte only; TFLM's model editor reads the wide field alone and would take every
    operator for the first. Both fields set, it reads them right."""
    model = read(model_bytes)
    if all(c.builtinCode == opcode_number(c) for c in model.operatorCodes):
        return model_bytes
    for code in model.operatorCodes:
        code.builtinCode = opcode_number(code)
    return write(model)
