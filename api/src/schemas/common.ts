import Type from 'typebox';

export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) },
  { $id: 'ErrorBody' },
);

export const ChatIdParams = Type.Object({ chat_id: Type.String({ format: 'uuid' }) });

/** The error responses every authenticated route may give. */
export const authedErrors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  429: ErrorBody,
} as const;
