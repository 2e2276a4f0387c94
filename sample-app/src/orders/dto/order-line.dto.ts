import { IsInt, IsString, Length, Max, Min } from 'class-validator';

export class OrderLineDto {
  @IsString()
  @Length(1, 40)
  sku!: string;

  @IsInt()
  @Min(1)
  @Max(99)
  quantity!: number;
}
